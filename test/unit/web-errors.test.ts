// What a browser receives when a procedure fails: field messages for bad input, named Temporal outcomes, and for
// everything else one generic sentence — never a stack or an internal message.
import { ApplicationFailure, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { TRPCError } from '@trpc/server';
import superjson from 'superjson';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { GENERIC_SERVER_ERROR, publicProcedure, router } from '../../web/server/trpc';

const testRouter = router({
  form: publicProcedure
    .input(z.object({ email: z.email('Enter an email address.'), age: z.number().int().min(18, 'Too young.') }))
    .mutation(() => 'ok'),
  // Library messages left in place: the formatter must still name the fields in words.
  bare: publicProcedure.input(z.object({ label: z.string().max(5), contentBase64: z.string().min(1), reporterId: z.uuid() })).mutation(() => 'ok'),
  crash: publicProcedure.query(() => {
    throw new Error('connect ECONNREFUSED 10.0.0.5:5432 (password=hunter2)');
  }),
  internalZod: publicProcedure.query(() => z.object({ secretField: z.string() }).parse({})),
  forbidden: publicProcedure.query(() => {
    throw new TRPCError({ code: 'FORBIDDEN', message: 'This needs the approver role.' });
  }),
  notFound: publicProcedure.query(() => {
    throw new WorkflowNotFoundError('workflow not found', 'case:d1:spam', undefined);
  }),
  refused: publicProcedure.mutation(() => {
    throw new WorkflowUpdateFailedError('Workflow Update failed', ApplicationFailure.create({ message: 'You cannot approve your own request.' }));
  }),
  duplicate: publicProcedure.mutation(() => {
    throw new WorkflowExecutionAlreadyStartedError('already started', 'report:1', 'intakeWorkflow');
  }),
  alreadyMapped: publicProcedure.mutation(() => {
    const cause = new WorkflowNotFoundError('gone', 'case:d1:spam', undefined);
    throw new TRPCError({ code: 'PRECONDITION_FAILED', message: 'This case is closed.', cause });
  }),
});

const serve = (req: Request) =>
  fetchRequestHandler({
    endpoint: '/api/trpc',
    req,
    router: testRouter,
    createContext: ({ resHeaders }) => ({ user: null, secure: false, resHeaders }),
  });

const client = createTRPCClient<typeof testRouter>({
  links: [httpLink({ url: 'http://console.test/api/trpc', transformer: superjson, fetch: (url, init) => serve(new Request(url, init)) })],
});

async function failure(call: () => Promise<unknown>) {
  const err = await call().then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e,
  );
  if (!(err instanceof TRPCClientError)) throw err;
  return err as TRPCClientError<typeof testRouter>;
}

describe('tRPC error formatting', () => {
  it('turns bad input into one message per field', async () => {
    const err = await failure(() => client.form.mutate({ email: 'nope', age: 3 }));
    expect(err.message).toBe('Enter an email address. Too young.');
    expect(err.data).toMatchObject({ code: 'BAD_REQUEST', httpStatus: 400 });
    expect(err.data?.fieldErrors).toEqual({ email: ['Enter an email address.'], age: ['Too young.'] });
  });

  it("names fields in words where a schema kept the library's message, never the internal field name", async () => {
    const err = await failure(() => client.bare.mutate({ label: 'far too long', contentBase64: '', reporterId: 'x' }));
    expect(err.message).toBe('The key label may be at most 5 characters. Enter the file. The reporter id is not valid.');
    expect(err.message).not.toMatch(/Too big|Too small|Invalid|contentBase64|reporterId/);
    expect(err.data?.fieldErrors).toEqual({
      label: ['The key label may be at most 5 characters.'],
      contentBase64: ['Enter the file.'],
      reporterId: ['The reporter id is not valid.'],
    });
  });

  it('hides an unexpected error behind one sentence, with no stack even outside production', async () => {
    expect(process.env.NODE_ENV).not.toBe('production');
    const res = await serve(new Request('http://console.test/api/trpc/crash'));
    expect(res.status).toBe(500);
    const body = await res.text();
    expect(body).toContain(GENERIC_SERVER_ERROR);
    expect(body).not.toMatch(/stack|ECONNREFUSED|hunter2|\.ts:\d+/);
    const err = await failure(() => client.crash.query());
    expect(err.message).toBe(GENERIC_SERVER_ERROR);
    expect(err.data).not.toHaveProperty('stack');
  });

  it('does not show field details of a ZodError raised inside a procedure', async () => {
    const err = await failure(() => client.internalZod.query());
    expect(err.message).toBe(GENERIC_SERVER_ERROR);
    expect(err.data?.fieldErrors).toBeUndefined();
    expect(JSON.stringify(err.shape)).not.toContain('secretField');
  });

  it('passes a deliberate refusal through with its message', async () => {
    const err = await failure(() => client.forbidden.query());
    expect(err.message).toBe('This needs the approver role.');
    expect(err.data).toMatchObject({ code: 'FORBIDDEN', httpStatus: 403 });
  });
});

describe('Temporal errors a procedure did not handle', () => {
  it('maps a missing workflow to NOT_FOUND', async () => {
    const err = await failure(() => client.notFound.query());
    expect(err.data).toMatchObject({ code: 'NOT_FOUND', httpStatus: 404 });
    expect(err.message).toBe('That process is not running any more.');
  });

  it("maps a refused update to BAD_REQUEST with the workflow's reason", async () => {
    const err = await failure(() => client.refused.mutate());
    expect(err.data).toMatchObject({ code: 'BAD_REQUEST', httpStatus: 400 });
    expect(err.message).toBe('You cannot approve your own request.');
  });

  it('maps a duplicate start to CONFLICT', async () => {
    const err = await failure(() => client.duplicate.mutate());
    expect(err.data).toMatchObject({ code: 'CONFLICT', httpStatus: 409 });
  });

  it('leaves an error the procedure already mapped alone', async () => {
    const err = await failure(() => client.alreadyMapped.mutate());
    expect(err.data).toMatchObject({ code: 'PRECONDITION_FAILED' });
    expect(err.message).toBe('This case is closed.');
  });
});
