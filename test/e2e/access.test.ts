// Just-in-time access in Chromium against the whole stack: an analyst enrols an authenticator app on the Security
// page, asks for access to a deployment with a hostile reason and confirms with a code in the step-up dialog; the
// seeded approver finds it under "Waiting for me" and approves with a code; the analyst sees the active grant with a
// live countdown. The reason is shown as text everywhere and never runs. The approver checks the audit chain. The
// tenant answers on the lockbox page once; reopened, the link shows that answer as recorded and takes no other.
import { generate } from 'otplib';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../../dev/stack';
import { accessWorkflowId } from '../../domain/access/contracts';
import { requestAccess } from '../../lib/access';
import type { Db } from '../../lib/db';
import { createMailbox } from '../../lib/mailbox';
import { HOSTILE } from '../support/case-fixtures';
import { seededUser, signInAs, startE2eSystem, watchDialogs, type E2eSystem } from '../support/e2e';

const REASON = `Customer reports 502s; check the proxy. ${HOSTILE} <script>window.__pwned=1</script>`;

let system: E2eSystem;
let stack: Stack;
let browser: Browser;
let db: Db;
let deployment: { id: string; name: string; tenantName: string };
let requestId: string | undefined;
let lockboxRequestId: string | undefined;
// Signed in once: with a second factor enrolled, signing in again would ask for it too.
let analyst: Person;
let approver: Person;

beforeAll(async () => {
  system = await startE2eSystem('access');
  ({ stack, browser, db } = system);
  const d = await db.deployment.findFirstOrThrow({ where: { state: 'running' }, include: { tenant: true }, orderBy: { name: 'asc' } });
  deployment = { id: d.id, name: d.name, tenantName: d.tenant.name };
});

afterAll(async () => {
  for (const id of [requestId, lockboxRequestId]) {
    if (id) await system?.client.workflow.getHandle(accessWorkflowId(id)).terminate('test finished').catch(() => undefined);
  }
  await system?.close();
});

interface Person {
  page: Page;
  email: string;
  dialogs: string[];
}

/** A fresh browser context signed in as the seeded user of that role; alerts are counted (there must be none). */
async function signedIn(role: 'analyst' | 'approver'): Promise<Person> {
  const user = seededUser(stack, role);
  const page = await (await browser.newContext()).newPage();
  const dialogs = watchDialogs(page);
  await signInAs(page, stack, user.email, user.password);
  await page.waitForURL(`${stack.urls.console}/`);
  return { page, email: user.email, dialogs };
}

/** Turns on the authenticator app on the Security page, as a person with the app would; returns its secret. */
async function enrolTotp(p: Person): Promise<string> {
  await p.page.getByRole('link', { name: 'Security', exact: true }).click();
  await p.page.getByTestId('totp-begin').click();
  const secret = (await p.page.getByTestId('totp-secret').textContent())!;
  await p.page.getByTestId('totp-code').fill(await generate({ secret }));
  await p.page.getByTestId('totp-confirm').click();
  await p.page.locator('[data-testid="totp-state"][data-enabled="yes"]').waitFor();
  return secret;
}

/** The next code the app shows after the last one the server accepted (each time step works once). */
async function nextCode(email: string, secret: string): Promise<string> {
  const { totpLastStep } = await db.user.findUniqueOrThrow({ where: { email } });
  return generate({ secret, epoch: (totpLastStep! + 1) * 30 });
}

async function confirmInDialog(p: Person, secret: string) {
  await p.page.getByTestId('step-up-dialog').waitFor();
  await p.page.getByTestId('step-up-totp-code').fill(await nextCode(p.email, secret));
  await p.page.getByTestId('step-up-totp-submit').click();
  await p.page.getByTestId('step-up-dialog').waitFor({ state: 'detached', timeout: 30_000 });
}

async function expectNothingRan(p: Person, scope: string) {
  expect(await p.page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  await expect(p.page.locator(`${scope} img, ${scope} script`).count()).resolves.toBe(0);
  expect(p.dialogs).toEqual([]);
}

describe('just-in-time access in the browser', () => {
  it('is asked for with a step-up, approved with a step-up, and shown as an active grant with a countdown', async () => {
    analyst = await signedIn('analyst');
    const analystSecret = await enrolTotp(analyst);

    // The form shows what the policy asks for this target before anything is sent.
    await analyst.page.getByRole('link', { name: 'Access', exact: true }).click();
    await analyst.page.getByTestId('access-new-link').click();
    await analyst.page.getByTestId('access-deployment').selectOption(deployment.id);
    await analyst.page.getByTestId('access-customer-data').check();
    await analyst.page.locator('[data-testid="access-policy-consent"]').waitFor();
    await expect(analyst.page.getByTestId('access-policy-approvals').textContent()).resolves.toBe('2 approvals');
    await analyst.page.getByTestId('access-customer-data').uncheck();
    await analyst.page.locator('[data-testid="access-policy-consent"]').waitFor({ state: 'detached' });
    await expect(analyst.page.getByTestId('access-policy-approvals').textContent()).resolves.toBe('1 approval');
    await expect(analyst.page.getByTestId('access-policy-max').textContent()).resolves.toBe('8 h');

    await analyst.page.getByTestId('access-duration').fill('45');
    await analyst.page.getByTestId('access-reason').fill(REASON);
    // Sending without a fresh check: the server refuses and the dialog asks for a code, then the request goes.
    await analyst.page.getByTestId('access-submit').click();
    await confirmInDialog(analyst, analystSecret);
    await analyst.page.waitForURL(/\/access\/[0-9a-f-]{36}$/, { timeout: 30_000 });
    requestId = analyst.page.url().split('/').at(-1)!;
    await analyst.page.locator('[data-testid="access-request"][data-state="pending"]').waitFor();
    await expect(analyst.page.getByTestId('access-reason').textContent()).resolves.toBe(REASON);
    await expectNothingRan(analyst, '[data-testid="access-request"]');
    const row = await db.accessRequest.findUniqueOrThrow({ where: { id: requestId } });
    expect(row).toMatchObject({ deploymentId: deployment.id, level: 'read', durationMinutes: 45, requestStepUp: 'totp', reason: REASON });

    // The approver finds it waiting, reads the reason as text, and approves with a code.
    approver = await signedIn('approver');
    const approverSecret = await enrolTotp(approver);
    await approver.page.getByRole('link', { name: 'Access', exact: true }).click();
    await approver.page.getByTestId('access-tab-waiting').click();
    const waiting = approver.page.locator(`[data-testid="access-row"][data-id="${requestId}"]`);
    await waiting.waitFor({ timeout: 30_000 });
    await expect(waiting.getByTestId('access-reason').textContent()).resolves.toContain(HOSTILE);
    await expectNothingRan(approver, '[data-testid="access-list"]');
    await waiting.getByTestId('access-link').click();
    await approver.page.getByTestId('access-decide-comment').fill('OK for <b>45</b> minutes.');
    await approver.page.getByTestId('access-approve').click();
    await confirmInDialog(approver, approverSecret);
    await approver.page.locator('[data-testid="access-request"][data-state="active"]').waitFor({ timeout: 30_000 });
    await expect(approver.page.locator('[data-testid="access-approval"][data-decision="approve"]').textContent()).resolves.toContain('OK for <b>45</b> minutes.');
    await expectNothingRan(approver, '[data-testid="access-request"]');

    // The analyst sees the grant among the active ones, counting down live.
    await analyst.page.goto(`${stack.urls.console}/access?tab=active`);
    const active = analyst.page.locator(`[data-testid="access-row"][data-id="${requestId}"]`);
    await active.waitFor({ timeout: 30_000 });
    const countdown = active.getByTestId('grant-countdown');
    await expect(countdown.textContent()).resolves.toMatch(/^4[0-4] min \d\d s$/);
    const first = await countdown.textContent();
    await analyst.page.waitForFunction(
      ([id, before]) => document.querySelector(`[data-id="${id}"] [data-testid="grant-countdown"]`)?.textContent !== before,
      [requestId, first] as const,
      { timeout: 10_000 },
    );
    await expectNothingRan(analyst, '[data-testid="access-list"]');
    const grant = await db.accessGrant.findUniqueOrThrow({ where: { requestId } });
    expect(Math.abs(grant.expiresAt.getTime() - grant.issuedAt.getTime() - 45 * 60_000)).toBeLessThan(5_000);
  });

  it('shows approvers the audit log and a verified chain; analysts are told it is not for them', async () => {
    await approver.page.getByRole('link', { name: 'Audit', exact: true }).click();
    await approver.page.getByTestId('audit-table').waitFor();
    await approver.page.getByTestId('audit-filter-action').fill('access.');
    await approver.page.getByTestId('audit-apply').click();
    // The filtered list replaces the whole log: every row an access entry, the request among them.
    await approver.page.waitForFunction(() => {
      const rows = [...document.querySelectorAll('[data-testid="audit-row"]')];
      return rows.length > 0 && rows.every((r) => r.getAttribute('data-action')?.startsWith('access.')) && rows.some((r) => r.getAttribute('data-action') === 'access.requested');
    }, undefined, { timeout: 30_000 });
    await expectNothingRan(approver, '[data-testid="audit-table"]');
    await approver.page.getByTestId('audit-verify').click();
    await expect(approver.page.getByTestId('audit-verify-result').getAttribute('data-ok')).resolves.toBe('true');
    await expect(approver.page.getByTestId('audit-export-json').getAttribute('href')).resolves.toBe('/api/audit/export?format=json&action=access.');
    // The filtered view has an address of its own: opened again (bookmarked, shared), it shows the same filter.
    expect(new URL(approver.page.url()).search).toBe('?action=access.');
    await approver.page.goto(`${stack.urls.console}/audit?action=access.granted`);
    await expect(approver.page.getByTestId('audit-filter-action').inputValue()).resolves.toBe('access.granted');
    await approver.page.getByTestId('audit-row').first().waitFor();
    const shownActions = await approver.page.$$eval('[data-testid="audit-row"]', (rows) => rows.map((r) => r.getAttribute('data-action')));
    expect(shownActions.length).toBeGreaterThan(0);
    expect(shownActions.every((a) => a?.startsWith('access.granted'))).toBe(true);

    await expect(analyst.page.getByRole('link', { name: 'Audit', exact: true }).count()).resolves.toBe(0);
    await analyst.page.goto(`${stack.urls.console}/audit`);
    await expect(analyst.page.getByTestId('audit-forbidden').textContent()).resolves.toMatch(/approvers and admins/);
    const res = await analyst.page.request.get(`${stack.urls.console}/api/audit/export?format=csv`);
    expect(res.status()).toBe(403);
  });

  it("shows the tenant's lockbox page the mailed text, takes one answer, and shows it again when the link is reopened", async () => {
    const analystRow = await db.user.findUniqueOrThrow({ where: { email: seededUser(stack, 'analyst').email } });
    const d = await db.deployment.findUniqueOrThrow({ where: { id: deployment.id }, include: { tenant: true } });
    const contact = d.tenant.securityContactEmail ?? d.tenant.ownerEmail;
    // Asked through the library (the console's step-up is the first test's subject): customer data needs the tenant.
    const req = await requestAccess(
      { db, temporal: system.client, taskQueue: stack.env.TEMPORAL_TASK_QUEUE! },
      { requesterId: analystRow.id, targetKind: 'deployment', deploymentId: d.id, level: 'read', customerData: true, reason: REASON, durationMinutes: 30, stepUp: { method: 'totp', at: new Date().toISOString() } },
    );
    lockboxRequestId = req.id;
    const mail = await createMailbox(stack.urls.mailboxApi!).waitForMessage((m) => m.To.some((t) => t.Address === contact) && m.Subject.includes('consent'), { timeoutMs: 30_000 });
    const token = /\/l\/([A-Za-z0-9_-]{43})/.exec(mail.Text)?.[1];
    if (!token) throw new Error(`no lockbox link in:\n${mail.Text}`);

    const page = await (await browser.newContext()).newPage();
    const tenant: Person = { page, email: contact, dialogs: watchDialogs(page) };
    await page.goto(`${stack.urls.console}/l/${token}`);
    const text = (await page.getByTestId('lockbox-text').textContent())!;
    expect(text).toContain(REASON);
    for (const line of text.split('\n')) expect(mail.Text).toContain(line);
    await expectNothingRan(tenant, '[data-testid="lockbox-page"]');
    // The tenant's own name is text too.
    const name = 'Dana <i>Owner</i>';
    await page.getByTestId('lockbox-name').fill(name);
    await page.getByTestId('lockbox-approve').click();
    await page.locator('[data-testid="lockbox-decision"][data-decision="approved"]').waitFor({ timeout: 30_000 });
    const row = await db.accessRequest.findUniqueOrThrow({ where: { id: req.id } });
    expect(row.tenantConsent).toBe('approved');
    expect(row.tenantConsentBy).toMatchObject({ name, email: contact, textShown: text, userAgent: expect.stringMatching(/Chrom/) });
    // Right after answering, the page reads the answer back as recorded.
    await page.locator('[data-testid="lockbox-answer"][data-decision="approved"]').waitFor({ timeout: 30_000 });

    // Opened again, the used link shows the answer as recorded: when, by whom, and the text it was given on.
    await page.reload();
    const answer = page.locator('[data-testid="lockbox-answer"][data-decision="approved"]');
    await answer.waitFor();
    await expect(page.getByTestId('lockbox-answer-by').textContent()).resolves.toBe(`${name} (${contact})`);
    const at = row.tenantConsentAt!.toISOString().slice(0, 16).replace('T', ' ');
    await expect(page.getByTestId('lockbox-answer-at').textContent()).resolves.toBe(`${at} UTC`);
    await expect(page.getByTestId('lockbox-text').textContent()).resolves.toBe(text);
    await expect(page.locator('[data-testid="lockbox-link-problem"], [data-testid="lockbox-form"]').count()).resolves.toBe(0);
    await expect(page.locator('[data-testid="lockbox-page"] i').count()).resolves.toBe(0);
    await expectNothingRan(tenant, '[data-testid="lockbox-page"]');

    // A second answer sent straight to the procedure (as a stale tab would) is refused, and the first one stands.
    const second = await page.request.post(`${stack.urls.console}/api/trpc/accessConsent.decide?batch=1`, {
      data: { 0: { json: { token, approve: false, name: 'Mallory' } } },
    });
    expect(second.status()).toBe(403);
    expect(JSON.stringify(await second.json())).toContain('already been used');
    await expect(db.accessRequest.findUniqueOrThrow({ where: { id: req.id } })).resolves.toMatchObject({ tenantConsent: 'approved', tenantConsentBy: expect.objectContaining({ name }) });
    await page.close();
  });

  it('answers a made-up lockbox link with a clear page', async () => {
    const page = await browser.newPage();
    const res = await page.goto(`${stack.urls.console}/l/${'x'.repeat(43)}`);
    expect(res?.status()).toBe(404);
    await expect(page.getByTestId('lockbox-link-problem').textContent()).resolves.toMatch(/not valid/);
    await page.close();
  });
});
