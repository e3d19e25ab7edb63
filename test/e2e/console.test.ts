// The whole system as a person meets it: `startStack` (Temporal, worker, mail catcher, the built console) on free
// ports with a fresh database, and Debian's Chromium signing in and reading the status page.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../dev/stack';
import { launchChromium } from '../support/browser';
import { createTestDatabase, type TestDatabase } from '../support/database';

let dataDir: string;
let database: TestDatabase;
let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'safeguard-e2e-'));
  database = await createTestDatabase({ migrate: false });
  stack = await startStack({
    dataDir,
    databaseUrl: database.url,
    ports: { console: 0, postgres: 0, smtp: 0, mailbox: 0, temporal: 0, temporalUi: 0 },
    web: 'build',
    env: { LOG_LEVEL: 'warn' },
  });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await database?.drop();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

function credentials(role: 'analyst' | 'admin') {
  const user = stack.seeded?.credentials.find((u) => u.role === role);
  if (!user) throw new Error(`the seed did not report a password for the ${role}`);
  return user;
}

async function signIn(page: Page, email: string, password: string) {
  await page.goto(`${stack.urls.console}/signin`);
  await page.getByTestId('signin-email').fill(email);
  await page.getByTestId('signin-password').fill(password);
  await page.getByTestId('signin-submit').click();
}

describe('console in a browser', () => {
  it('sends a visitor who is not signed in to the sign-in page', async () => {
    const page = await browser.newPage();
    await page.goto(`${stack.urls.console}/status`);
    expect(new URL(page.url()).pathname).toBe('/signin');
    await page.close();
  });

  it('refuses a wrong password with a message and no session', async () => {
    const page = await browser.newPage();
    await signIn(page, credentials('analyst').email, 'not-the-password');
    await expect(page.getByTestId('signin-error').textContent()).resolves.toBe('Email or password is not correct.');
    expect((await page.context().cookies()).some((c) => c.name === 'sg_session')).toBe(false);
    await page.close();
  });

  it('signs in and shows every status check green', async () => {
    const page = await browser.newPage();
    const analyst = credentials('analyst');
    await signIn(page, analyst.email, analyst.password);
    await page.waitForURL(`${stack.urls.console}/`);
    await expect(page.getByTestId('role').textContent()).resolves.toBe('analyst');

    const cookie = (await page.context().cookies()).find((c) => c.name === 'sg_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });

    await page.goto(`${stack.urls.console}/status`);
    const overall = page.getByTestId('status-overall');
    await overall.waitFor();
    for (const check of ['database', 'temporal', 'worker', 'mail']) {
      await expect(page.getByTestId(`status-${check}`).getAttribute('data-status')).resolves.toBe('ok');
    }
    await expect(overall.getAttribute('data-status')).resolves.toBe('ok');
    await page.screenshot({ path: path.join(dataDir, 'status.png') });
    await page.close();
  });

  it('refuses a cross-origin state-changing request even with a valid session cookie', async () => {
    const analyst = credentials('analyst');
    const res = await fetch(`${stack.urls.console}/api/trpc/auth.signIn`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'https://evil.example' },
      body: JSON.stringify({ json: { email: analyst.email, password: analyst.password } }),
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('set-cookie')).toBeNull();
  });
});
