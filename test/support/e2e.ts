// The whole system for a browser test: `startStack` (Temporal, worker, mail catcher, the built console) on free ports
// with a fresh database, Debian's Chromium, and a database and Temporal client for setting up and checking.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { Browser, Page } from 'playwright-core';
import { startStack, type Stack } from '../../dev/stack';
import { createDb, type Db } from '../../lib/db';
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
