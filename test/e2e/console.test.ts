// The whole system as a person meets it: `startStack` (Temporal, worker, mail catcher, the built console) on free
// ports with a fresh database, and Debian's Chromium signing in and reading the status page.
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../../dev/stack';
import { seededUser, signInAs, startE2eSystem, type E2eSystem } from '../support/e2e';

let system: E2eSystem;
let stack: Stack;
let browser: Browser;

beforeAll(async () => {
  system = await startE2eSystem('console');
  ({ stack, browser } = system);
});

afterAll(async () => {
  await system?.close();
});

const credentials = (role: 'analyst' | 'admin') => seededUser(stack, role);
const signIn = (page: Page, email: string, password: string) => signInAs(page, stack, email, password);

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
    await page.screenshot({ path: path.join(system.dataDir, 'status.png') });
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
