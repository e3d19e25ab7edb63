// The whole system for a browser test: `startStack` (Temporal, worker, mail catcher, the built console) on free ports
// with a fresh database, Debian's Chromium, and a database and Temporal client for setting up and checking.
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { Browser, Page } from 'playwright-core';
import { signalCaseEvidence } from '../../activities/cases';
import { startStack, type Stack } from '../../dev/stack';
import { caseWorkflowId, type CasePolicy } from '../../domain/cases';
import { createDb, type Db } from '../../lib/db';
import { createMailbox, type Message } from '../../lib/mailbox';
import { triageUpdate } from '../../workflows/abuse-case';
import { launchChromium } from './browser';
import { createTestDatabase, type TestDatabase } from './database';

export interface E2eSystem {
  dataDir: string;
  stack: Stack;
  browser: Browser;
  db: Db;
  client: Client;
  close(): Promise<void>;
}

export async function startE2eSystem(name: string): Promise<E2eSystem> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `safeguard-e2e-${name}-`));
  let database: TestDatabase | undefined;
  let stack: Stack | undefined;
  let browser: Browser | undefined;
  let db: Db | undefined;
  let connection: Connection | undefined;
  const close = async () => {
    await browser?.close();
    await connection?.close();
    await db?.$disconnect();
    await stack?.stop();
    await database?.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    database = await createTestDatabase({ migrate: false });
    stack = await startStack({
      dataDir,
      databaseUrl: database.url,
      ports: { console: 0, postgres: 0, smtp: 0, mailbox: 0, temporal: 0, temporalUi: 0, flows: 0 },
      web: 'build',
      env: { LOG_LEVEL: 'warn' },
    });
    browser = await launchChromium();
    db = createDb(database.url);
    connection = await Connection.connect({ address: stack.urls.temporal });
    const client = new Client({ connection, namespace: stack.env.TEMPORAL_NAMESPACE ?? 'default' });
    return { dataDir, stack, browser, db, client, close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** One of the staff users the seed created, with the password it printed. */
export function seededUser(stack: Stack, role: 'analyst' | 'approver' | 'admin') {
  const user = stack.seeded?.credentials.find((u) => u.role === role);
  if (!user) throw new Error(`the seed did not report a password for the ${role}`);
  return user;
}

export async function signInAs(page: Page, stack: Stack, email: string, password: string): Promise<void> {
  await page.goto(`${stack.urls.console}/signin`);
  await page.getByTestId('signin-email').fill(email);
  await page.getByTestId('signin-password').fill(password);
  await page.getByTestId('signin-submit').click();
}

/** Records every alert, confirm or prompt the page opens (tests expect none unless they say), answering each one. */
export function watchDialogs(page: Page, answer: 'dismiss' | 'accept' = 'dismiss'): string[] {
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void (answer === 'accept' ? d.accept() : d.dismiss());
  });
  return dialogs;
}

/**
 * A phishing report with `summary` as its evidence (attacker-controlled text), routed to the case of the first running
 * seeded deployment under `policy`; resolves once the case row holds it.
 */
export async function reportToSeededCase(system: E2eSystem, summary: string, policy: CasePolicy) {
  const { db, client, stack } = system;
  const deployment = await db.deployment.findFirstOrThrow({ where: { state: 'running' }, include: { tenant: true } });
  const raw = Buffer.from(`e2e report ${randomUUID()}`);
  const report = await db.abuseReport.create({
    data: {
      channel: 'api',
      contentType: 'text/plain',
      raw,
      sha256: createHash('sha256').update(raw).digest('hex'),
      sizeBytes: raw.length,
      parseStatus: 'parsed',
      category: 'phishing',
      sourceIps: ['192.0.2.10'],
      summary,
      attribution: 'attributed',
      tenantId: deployment.tenantId,
      deploymentId: deployment.id,
    },
  });
  const handle = await signalCaseEvidence(client, {
    taskQueue: stack.env.TEMPORAL_TASK_QUEUE!,
    deploymentId: deployment.id,
    tenantId: deployment.tenantId,
    category: 'phishing',
    evidence: { kind: 'report', id: report.id, receivedAt: report.receivedAt.toISOString() },
    policy,
  });
  for (const until = Date.now() + 30_000; ; ) {
    const row = await db.case.findUnique({ where: { workflowId: caseWorkflowId(deployment.id, 'phishing') } });
    if (row && row.reportCount > 0) return { caseId: row.id, handle, deployment, contact: deployment.tenant.securityContactEmail ?? deployment.tenant.ownerEmail };
    if (Date.now() > until) throw new Error('the case row did not appear');
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** reportToSeededCase, accepted at triage: the tenant's notice as mailed, and the token of its /t/ link. */
export async function noticedSeededCase(system: E2eSystem, summary: string, policy: CasePolicy): Promise<{ caseId: string; contact: string; notice: Message; token: string }> {
  const { caseId, handle, contact } = await reportToSeededCase(system, summary, policy);
  await handle.executeUpdate(triageUpdate, { args: [{ action: 'accept', severity: 'high', by: 'e2e-analyst' }] });
  const notice = await createMailbox(system.stack.urls.mailboxApi!).waitForMessage(
    (m) => m.To.some((t) => t.Address === contact) && m.Subject.includes('Abuse notice'),
    { timeoutMs: 30_000 },
  );
  const match = /\/t\/([A-Za-z0-9_-]{43})/.exec(notice.Text);
  if (!match) throw new Error(`no tenant link in the notice:\n${notice.Text}`);
  return { caseId, contact, notice, token: match[1]! };
}
