// Second factors in Chromium against the whole stack: a virtual security key (DevTools WebAuthn domain) is registered
// on /account/security, confirms a step-up through the dialog and then the second step of signing in; an authenticator app is enrolled by its key
// and confirms a step-up with a code. The console is reached as http://localhost:<port> (PUBLIC_URL): WebAuthn needs
// the relying party to be a host name, never an IP address.
import { generate } from 'otplib';
import type { Browser, CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../../dev/stack';
import type { Db } from '../../lib/db';
import { seededUser, signInAs, startE2eSystem, type E2eSystem } from '../support/e2e';

let system: E2eSystem;
let stack: Stack;
let browser: Browser;
let db: Db;

beforeAll(async () => {
  system = await startE2eSystem('webauthn');
  ({ stack, browser, db } = system);
  if (new URL(stack.urls.console!).hostname !== 'localhost') throw new Error(`WebAuthn needs a host name; the console is at ${stack.urls.console}`);
});

afterAll(async () => {
  await system?.close();
});

async function signedInPage(role: 'approver' | 'analyst'): Promise<{ page: Page; userId: string }> {
  const user = seededUser(stack, role);
  const page = await (await browser.newContext()).newPage();
  await signInAs(page, stack, user.email, user.password);
  await page.waitForURL(`${stack.urls.console}/`);
  await page.goto(`${stack.urls.console}/account/security`);
  const row = await db.user.findUniqueOrThrow({ where: { email: user.email } });
  return { page, userId: row.id };
}

async function virtualAuthenticator(page: Page): Promise<{ cdp: CDPSession; authenticatorId: string }> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'usb', hasResidentKey: true, hasUserVerification: true, isUserVerified: true },
  });
  return { cdp, authenticatorId };
}

const onlySession = async (userId: string) => {
  const sessions = await db.session.findMany({ where: { userId } });
  expect(sessions).toHaveLength(1);
  return sessions[0]!;
};

describe('second factors in the browser', () => {
  it('registers a security key, then confirms a step-up with it', async () => {
    const { page, userId } = await signedInPage('approver');
    const { cdp, authenticatorId } = await virtualAuthenticator(page);
    await expect(page.getByTestId('webauthn-list').textContent()).resolves.toContain('No security keys yet.');

    await page.getByTestId('webauthn-name').fill('Virtual <b>key</b>');
    await page.getByTestId('webauthn-add').click();
    // The first factor comes with ten recovery codes, shown this once.
    await page.getByTestId('recovery-codes').waitFor({ timeout: 30_000 });
    await expect(page.getByTestId('recovery-code').count()).resolves.toBe(10);
    await page.getByTestId('webauthn-credential').waitFor();
    await expect(page.getByTestId('webauthn-list').textContent()).resolves.toContain('Virtual <b>key</b>');

    const [stored] = await db.webAuthnCredential.findMany({ where: { userId } });
    expect(stored).toMatchObject({ name: 'Virtual <b>key</b>', deviceType: 'singleDevice', lastUsedAt: null });
    expect(stored!.transports).toContain('usb');
    expect(stored!.publicKey.length).toBeGreaterThan(30);
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    expect(credentials.map((c) => Buffer.from(c.credentialId, 'base64').toString('base64url'))).toEqual([stored!.id]);
    // Registering is not a step-up: the dialog has to be used.
    await expect(onlySession(userId)).resolves.toMatchObject({ stepUpAt: null, challenge: null });

    // Cancelling the dialog confirms nothing.
    await page.getByTestId('step-up-now').click();
    await page.getByTestId('step-up-dialog').waitFor();
    await page.getByTestId('step-up-cancel').click();
    await page.getByTestId('step-up-dialog').waitFor({ state: 'detached' });
    await expect(onlySession(userId)).resolves.toMatchObject({ stepUpAt: null });

    await page.getByTestId('step-up-now').click();
    await page.getByTestId('step-up-dialog').waitFor();
    await page.getByTestId('step-up-webauthn').click();
    await page.getByTestId('step-up-dialog').waitFor({ state: 'detached', timeout: 30_000 });
    await page.locator('[data-testid="step-up-state"][data-fresh="yes"]').waitFor();
    await expect(page.getByTestId('step-up-state').textContent()).resolves.toContain('a security key');

    const session = await onlySession(userId);
    expect(session).toMatchObject({ stepUpMethod: 'webauthn', challenge: null });
    expect(Date.now() - session.stepUpAt!.getTime()).toBeLessThan(60_000);
    const used = await db.webAuthnCredential.findUniqueOrThrow({ where: { id: stored!.id } });
    expect(used.counter).toBeGreaterThan(stored!.counter);
    expect(used.lastUsedAt).not.toBeNull();
    const audit = await db.auditEvent.findMany({ where: { actorId: userId, action: { startsWith: 'mfa.' } }, orderBy: { seq: 'asc' } });
    expect(audit.map((a) => a.action)).toEqual(['mfa.webauthn_registered', 'mfa.step_up']);
    expect(audit[1]!.data).toMatchObject({ method: 'webauthn', credentialId: stored!.id });

    // The only factor cannot be removed, even right after a step-up.
    page.once('dialog', (d) => void d.accept());
    await page.getByTestId('webauthn-remove').click();
    await expect(page.getByTestId('webauthn-error').textContent()).resolves.toContain('only second factor');
    expect(await db.webAuthnCredential.count({ where: { userId } })).toBe(1);

    // Signing in again: the password alone leads to the second step, and the key finishes it.
    await page.context().clearCookies();
    const user = seededUser(stack, 'approver');
    await signInAs(page, stack, user.email, user.password);
    await page.getByTestId('signin-second-factor').waitFor();
    const waiting = await db.session.findMany({ where: { userId, secondFactorPending: true } });
    expect(waiting).toHaveLength(1);
    await page.goto(`${stack.urls.console}/cases`);
    await page.waitForURL(/\/signin/);
    await page.getByTestId('signin-second-factor').waitFor();
    await page.getByTestId('step-up-webauthn').click();
    await page.waitForURL((url) => !url.pathname.startsWith('/signin'), { timeout: 30_000 });
    await expect(db.session.findUniqueOrThrow({ where: { id: waiting[0]!.id } })).resolves.toMatchObject({ secondFactorPending: false, stepUpMethod: 'webauthn' });
    await page.context().close();
  });

  it('enrols an authenticator app by its key and confirms a step-up with a code', async () => {
    const { page, userId } = await signedInPage('analyst');
    // Without a factor the dialog says where to add one.
    await page.getByTestId('step-up-now').click();
    await page.getByTestId('step-up-no-factor').waitFor();
    await page.getByTestId('step-up-cancel').click();

    await page.getByTestId('totp-begin').click();
    const secret = (await page.getByTestId('totp-secret').textContent())!;
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    await expect(page.getByTestId('totp-qr').getAttribute('src')).resolves.toMatch(/^data:image\/svg\+xml;base64,/);
    // Sealed with the console's key (the stack's data folder): stored, but not readable from the row.
    const pending = await db.user.findUniqueOrThrow({ where: { id: userId } });
    expect(pending.totpSecret).toBeNull();
    expect(pending.totpPendingSecret).toMatch(/^v1:/);
    expect(pending.totpPendingSecret).not.toContain(secret);

    const nearby = await Promise.all([-60, -30, 0, 30, 60].map((s) => generate({ secret, epoch: Math.floor(Date.now() / 1000) + s })));
    await page.getByTestId('totp-code').fill(['000000', '111111', '222222'].find((c) => !nearby.includes(c))!);
    await page.getByTestId('totp-confirm').click();
    await expect(page.getByTestId('totp-error').textContent()).resolves.toMatch(/^That code is not valid/);

    await page.getByTestId('totp-code').fill(await generate({ secret }));
    await page.getByTestId('totp-confirm').click();
    await page.getByTestId('recovery-codes').waitFor();
    await page.locator('[data-testid="totp-state"][data-enabled="yes"]').waitFor();
    const { totpLastStep } = await db.user.findUniqueOrThrow({ where: { id: userId } });

    await page.getByTestId('step-up-now').click();
    await page.getByTestId('step-up-dialog').waitFor();
    // The enrolment code's step is spent; the app's next code is within the window.
    await page.getByTestId('step-up-totp-code').fill(await generate({ secret, epoch: (totpLastStep! + 1) * 30 }));
    await page.getByTestId('step-up-totp-submit').click();
    await page.getByTestId('step-up-dialog').waitFor({ state: 'detached', timeout: 30_000 });
    await expect(onlySession(userId)).resolves.toMatchObject({ stepUpMethod: 'totp' });
    await page.context().close();
  });
});
