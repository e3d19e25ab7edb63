// The checks behind the status page and `safeguard status`, against real services and a closed port.
import { Client, Connection } from '@temporalio/client';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { freePort } from '../../dev/net';
import { checkDatabase, checkMail, checkTemporal, checkWorkers } from '../../lib/health';
import { createDb, type Db } from '../../lib/db';
import { createTestDatabase, type TestDatabase } from '../support/database';

let migrated: TestDatabase;
let empty: TestDatabase;
let dbs: Db[] = [];
let connection: Connection;

beforeAll(async () => {
  [migrated, empty] = await Promise.all([createTestDatabase(), createTestDatabase({ migrate: false })]);
  connection = await Connection.connect({ address: inject('temporalAddress') });
});

afterAll(async () => {
  await Promise.all(dbs.map((d) => d.$disconnect()));
  await connection?.close();
  await Promise.all([migrated?.drop(), empty?.drop()]);
});

const open = (url: string) => {
  const d = createDb(url);
  dbs.push(d);
  return d;
};

describe('health checks', () => {
  it('reports a migrated database with its migration count, and names the cause when migrations are missing', async () => {
    const ok = await checkDatabase(open(migrated.url));
    expect(ok).toMatchObject({ name: 'database', ok: true });
    expect(ok.message).toMatch(/^connected; [1-9]\d* migrations applied$/);
    const bad = await checkDatabase(open(empty.url));
    expect(bad).toMatchObject({ ok: false });
    expect(bad.message).toContain('_prisma_migrations');
  });

  it('sees the Temporal namespace, and no worker on an unused task queue', async () => {
    const client = async () => new Client({ connection });
    await expect(checkTemporal(client, 'default')).resolves.toMatchObject({ ok: true });
    await expect(checkTemporal(client, 'no-such-namespace')).resolves.toMatchObject({ ok: false });
    const workers = await checkWorkers(client, 'default', 'nobody-polls-this-queue');
    expect(workers).toMatchObject({ ok: false, message: 'no worker is polling task queue nobody-polls-this-queue' });
  });

  it('fails the mail check on a closed port, within its timeout', async () => {
    const port = await freePort();
    const result = await checkMail(() => nodemailer.createTransport(`smtp://127.0.0.1:${port}`), 2_000);
    expect(result).toMatchObject({ name: 'mail', ok: false });
    expect(result.message).toMatch(/ECONNREFUSED/);
  });
});
