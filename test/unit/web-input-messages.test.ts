// Refused input on the console's real procedures, through the HTTP handler the browser uses (where errors are
// formatted): every message names the field in words, never by its internal name or in the validation library's words.
import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import superjson from 'superjson';
import { describe, expect, it } from 'vitest';
import { appRouter, type AppRouter } from '../../web/server/root';

// Input is refused before any procedure body runs, so no database is reached.
const admin = { id: '6f1c2a6e-8d2b-4c1e-9a57-3a4b5c6d7e8f', email: 'admin@console.test', name: 'admin', role: 'admin' as const, sessionId: 'test' };

const client = createTRPCClient<AppRouter>({
  links: [
    httpLink({
      url: 'http://console.test/api/trpc',
      transformer: superjson,
      fetch: (url, init) =>
        fetchRequestHandler({ endpoint: '/api/trpc', req: new Request(url, init), router: appRouter, createContext: ({ resHeaders }) => ({ user: admin, secure: false, resHeaders }) }),
    }),
  ],
});

async function refusal(call: () => Promise<unknown>): Promise<string> {
  const err = await call().then(
    () => new Error('expected the call to be refused'),
    (e: unknown) => e,
  );
  if (!(err instanceof TRPCClientError)) throw err;
  expect((err as TRPCClientError<AppRouter>).data?.code).toBe('BAD_REQUEST');
  return err.message;
}

const INTERNAL = /contentBase64|filename|eventTime|label:|Too big|Too small|Invalid input|Some fields are not valid/;

describe('input refusals a person can act on', () => {
  it('an upload with no file or an empty one, or not a mail', async () => {
    for (const input of [{ filename: '', contentBase64: '' }, { filename: 'report.eml', contentBase64: '' }]) {
      const message = await refusal(() => client.inbox.uploadEml.mutate(input));
      expect(message).toMatch(/Choose an \.eml file to upload\.|The chosen file is empty/);
      expect(message).not.toMatch(INTERNAL);
    }
    const wrongType = await refusal(() => client.inbox.uploadEml.mutate({ filename: 'report.pdf', contentBase64: 'AAAA' }));
    expect(wrongType).toBe('The file must be a saved email: its name should end in .eml (or .msg, .txt).');
  });

  it("a reporter's key label over 100 characters", async () => {
    const message = await refusal(() => client.reporters.createKey.mutate({ reporterId: admin.id, label: 'k'.repeat(101) }));
    expect(message).toBe('The key label may be at most 100 characters.');
  });

  it('an audit period whose start is after its end', async () => {
    const message = await refusal(() => client.audit.list.query({ filters: { from: new Date('2026-11-02T00:00:00Z'), to: new Date('2026-11-01T00:00:00Z') } }));
    expect(message).toMatch(/start of the period is after its end/);
    expect(message).not.toMatch(INTERNAL);
  });

  it('a public report whose event time has not happened yet', async () => {
    const form = { email: 'me@example.org', category: 'phishing' as const, sourceIps: '192.0.2.10', description: 'A phishing page for a bank.' };
    const message = await refusal(() => client.publicReport.submit.mutate({ ...form, eventTime: '2030-01-01T00:00:00Z' }));
    expect(message).toBe('When it happened cannot be in the future: enter the date and time you saw it.');
  });
});
