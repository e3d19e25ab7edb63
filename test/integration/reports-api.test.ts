// POST /api/reports, called as Next calls it (a Request in, a Response out) against PostgreSQL and Temporal:
// every bad request gets its status and a message; everything authenticated and within limits is kept.
import fs from 'node:fs';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Transporter } from 'nodemailer';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { MailCatcher } from '../../dev/mailcatcher';
import { createApiKey, hashApiKey, revokeApiKey, verifyApiKey } from '../../lib/api-keys';
import { resetConfigForTests } from '../../lib/config';
import type { Db } from '../../lib/db';
import { intakeStateOf } from '../../lib/intake';
import { seed } from '../../prisma/seed';
import { POST } from '../../web/app/api/reports/route';
import type { TestDatabase } from '../support/database';
import type { TestWorker } from '../support/worker';
import { startWorkerSystem, type WorkerSystem } from '../support/worker-system';

const MAX = 4096;
const URL_ = 'http://console.test/api/reports';

let system: WorkerSystem;
let database: TestDatabase;
let db: Db;
let catcher: MailCatcher;
let mailer: Transporter;
let tw: TestWorker;
let key: string;
let keyId: string;
let reporterId: string;

beforeAll(async () => {
  system = await startWorkerSystem('reports-api', { seed: true });
  ({ database, db, catcher, mailer, tw } = system);
  // The route reaches the database and Temporal through the process-wide modules, as in the console.
  process.env.DATABASE_URL = database.url;
  process.env.TEMPORAL_ADDRESS = inject('temporalAddress');
  process.env.TEMPORAL_TASK_QUEUE = tw.taskQueue;
  process.env.REPORT_MAX_BYTES = String(MAX);
  resetConfigForTests();
  const reporter = await db.reporter.create({ data: { name: 'Example CERT', email: 'cert@reporter.example' } });
  reporterId = reporter.id;
  ({ key, id: keyId } = await createApiKey(db, { reporterId, label: 'test', createdBy: 'admin@test' }));
});

afterAll(async () => {
  await system?.close();
});

function xarf(source = '192.0.2.10'): string {
  return JSON.stringify({
    xarf_version: '4.0.0',
    report_id: randomUUID(),
    timestamp: '2026-03-02T08:15:00Z',
    reporter: { org: 'Example CERT', contact: 'cert@reporter.example', domain: 'reporter.example' },
    sender: { org: 'Example CERT', contact: 'cert@reporter.example', domain: 'reporter.example' },
    source_identifier: source,
    source_port: 51234,
    category: 'connection',
    type: 'login_attack',
    protocol: 'tcp',
    destination_ip: '93.184.216.34',
    destination_port: 22,
    first_seen: '2026-03-02T07:58:11Z',
    last_seen: '2026-03-02T08:14:40Z',
    evidence_source: 'honeypot',
    description: 'failed SSH logins',
  });
}

function post(body: BodyInit | null, headers: Record<string, string> = {}, auth: string | null = `Bearer ${key}`): Request {
  const h = new Headers(headers);
  if (auth !== null) h.set('authorization', auth);
  return new Request(URL_, { method: 'POST', body, headers: h, duplex: 'half' } as RequestInit);
}

async function call(req: Request) {
  const res = await POST(req);
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

/** The row and its intake outcome: intake has run by the time the report is acknowledged. */
async function processed(reportId: string) {
  const row = await db.abuseReport.findUniqueOrThrow({ where: { id: reportId } });
  return { outcome: intakeStateOf(row), row };
}


const json = { 'content-type': 'application/json' };

describe('API keys', () => {
  it('are sgk_<prefix>_<secret> with 32 random bytes, and only their SHA-256 is kept', async () => {
    expect(key).toMatch(/^sgk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    const row = await db.reporterApiKey.findUniqueOrThrow({ where: { id: keyId } });
    expect(row.keyHash).toBe(hashApiKey(key));
    expect(JSON.stringify(row)).not.toContain(key.split('_').slice(2).join('_'));
    const second = await createApiKey(db, { reporterId, label: 'second' });
    expect(second.key).not.toBe(key);
    expect(second.prefix).not.toBe(row.prefix);
  });

  it('verify says why a key is refused', async () => {
    expect(await verifyApiKey(db, undefined)).toMatchObject({ ok: false, reason: 'missing' });
    expect(await verifyApiKey(db, 'sgk_short')).toMatchObject({ ok: false, reason: 'malformed' });
    expect(await verifyApiKey(db, key)).toMatchObject({ ok: true, keyId, reporterId });
    await expect(createApiKey(db, { reporterId, label: '  ' })).rejects.toThrow(/label/);
  });
});

describe('POST /api/reports refuses', () => {
  it('a request without a key (401)', async () => {
    const r = await call(post(xarf(), json, null));
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({ error: 'api_key_missing' });
    expect(r.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });

  it('a key of the wrong shape, another scheme, and an unknown key (401)', async () => {
    expect((await call(post(xarf(), json, 'Bearer not-a-key'))).body).toMatchObject({ error: 'api_key_malformed' });
    expect((await call(post(xarf(), json, `Basic ${Buffer.from('a:b').toString('base64')}`))).body).toMatchObject({ error: 'api_key_missing' });
    // Right prefix, wrong secret; and a prefix no one has.
    const tampered = key.slice(0, -1) + (key.endsWith('A') ? 'B' : 'A');
    const unknown = `sgk_000000000000_${key.split('_').slice(2).join('_')}`;
    for (const bad of [tampered, unknown]) {
      const r = await call(post(xarf(), json, `Bearer ${bad}`));
      expect(r.status).toBe(401);
      expect(r.body).toMatchObject({ error: 'api_key_unknown', message: 'the API key is not valid' });
    }
  });

  it('a revoked key (401)', async () => {
    const other = await createApiKey(db, { reporterId, label: 'to revoke' });
    expect(await revokeApiKey(db, other.id)).toBe(true);
    const r = await call(post(xarf(), json, `Bearer ${other.key}`));
    expect(r.status).toBe(401);
    expect(r.body).toMatchObject({ error: 'api_key_revoked' });
  });

  it('a content type other than JSON or a mail, and none at all (415)', async () => {
    // A Uint8Array body gets no content type from Request; a string would get text/plain.
    const requests = [
      post(xarf(), { 'content-type': 'text/plain' }),
      post('a=b', { 'content-type': 'application/x-www-form-urlencoded' }),
      post(new TextEncoder().encode(xarf())),
    ];
    for (const req of requests) {
      const before = await db.abuseReport.count();
      const r = await call(req);
      expect(r.status).toBe(415);
      expect(r.body.message).toMatch(/application\/json .*message\/rfc822/);
      expect(await db.abuseReport.count()).toBe(before);
    }
  });

  it('a body over the limit by its Content-Length (413)', async () => {
    const r = await call(post(xarf(), { ...json, 'content-length': String(MAX + 1) }));
    expect(r.status).toBe(413);
    expect(r.body).toMatchObject({ error: 'too_large' });
    expect(r.body.message).toContain(String(MAX));
    // Compressed bodies are not taken (no Content-Encoding), so the advice does not suggest them.
    expect(r.body.message).toMatch(/split it into several reports/);
    expect(r.body.message).not.toMatch(/compress/);
  });

  it('a streamed body that passes the limit without announcing its size (413)', async () => {
    const chunk = new TextEncoder().encode('x'.repeat(1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 10) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const before = await db.abuseReport.count();
    const r = await call(post(stream, json));
    expect(r.status).toBe(413);
    // Reading stopped at the limit, not at the end of the stream.
    expect(sent).toBeLessThan(10);
    expect(await db.abuseReport.count()).toBe(before);
  });

  it('an empty body (400)', async () => {
    const r = await call(post('', json));
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ error: 'empty' });
  });
});

describe('POST /api/reports accepts', () => {
  it('an X-ARF report: 202, stored for the key\'s reporter, parsed and attributed', async () => {
    const r = await call(post(xarf(), { 'content-type': 'application/json; charset=utf-8' }));
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ duplicate: false, submissionCount: 1, status: 'accepted' });
    const { outcome, row } = await processed(r.body.reportId as string);
    expect(outcome.outcome).toBe('routed');
    expect(row).toMatchObject({ channel: 'api', reporterId, parseStatus: 'parsed', format: 'xarf-v4', confidence: 'high', attribution: 'attributed' });
    expect((await db.reporterApiKey.findUniqueOrThrow({ where: { id: keyId } })).lastUsedAt).not.toBeNull();
  });

  it('the same report again: 202, counted as a duplicate', async () => {
    const body = xarf('192.0.2.11');
    const first = await call(post(body, json));
    expect(first.body).toMatchObject({ status: 'accepted', intake: 'routed', duplicate: false });
    await processed(first.body.reportId as string);
    const again = await call(post(body, json));
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ reportId: first.body.reportId, duplicate: true, submissionCount: 2, status: 'accepted', intake: 'routed' });
  });

  it('malformed JSON: 202 with a notice, kept, and marked failed for the inbox', async () => {
    const r = await call(post('{"xarf_version": "4.0.0", ', json));
    expect(r.status).toBe(202);
    expect(r.body.notice).toMatch(/not valid JSON/);
    const { outcome, row } = await processed(r.body.reportId as string);
    expect(outcome.outcome).toBe('parse_failed');
    expect(row).toMatchObject({ parseStatus: 'failed', attribution: 'unattributed' });
    expect(Buffer.from(row.raw).toString()).toBe('{"xarf_version": "4.0.0", ');
  });

  it('valid JSON that is not a report, and a report with no source address: kept for a person', async () => {
    const notReport = await call(post('{"hello": "world"}', json));
    expect(notReport.status).toBe(202);
    // Parsed at once: the sender learns why, as for malformed JSON.
    expect(notReport.body).toMatchObject({ intake: 'parse_failed', notice: expect.stringMatching(/^the report could not be parsed \(.+\); it is kept and will be reviewed by a person$/) });
    expect((await processed(notReport.body.reportId as string)).row.parseStatus).toBe('failed');
    const noIp = JSON.parse(xarf()) as Record<string, unknown>;
    delete noIp.source_identifier;
    const r = await call(post(JSON.stringify(noIp), json));
    expect(r.status).toBe(202);
    const { row } = await processed(r.body.reportId as string);
    expect(row.parseStatus === 'failed' || row.attribution === 'unattributed').toBe(true);
  });

  it('a whole ARF mail as message/rfc822', async () => {
    const mail = fs
      .readFileSync(path.join(import.meta.dirname, '../fixtures/reports/arf/abuse-complete.eml'), 'utf8')
      .replaceAll('93.184.216.34', '198.51.100.5');
    const r = await call(post(mail, { 'content-type': 'message/rfc822' }));
    expect(r.status).toBe(202);
    const { row } = await processed(r.body.reportId as string);
    expect(row).toMatchObject({ format: 'arf', category: 'spam', sourceIps: ['198.51.100.5'], attribution: 'attributed' });
  });
});
