// The analyst's case console and the public report form in Chromium against the whole stack: the queue with a live
// countdown, a case page whose hostile evidence is shown as text and never runs, triage from the page, and a reporter
// without an account filing a report and confirming it from the emailed link.
import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../../dev/stack';
import type { CasePolicy } from '../../domain/cases';
import type { Db } from '../../lib/db';
import { createMailbox } from '../../lib/mailbox';
import { reportToSeededCase, seededUser, signInAs, startE2eSystem, watchDialogs, type E2eSystem } from '../support/e2e';

const HOSTILE = '<img src=x onerror=alert(1)>';
// Two hours: the countdown has something to count and nothing is suspended while the browser works.
const POLICY: CasePolicy = { skipTriage: false, defaultSeverity: 'medium', remediationWindow: '2 hours', reminderOffsets: ['1h'], maxExtension: '1h' };

let system: E2eSystem;
let stack: Stack;
let browser: Browser;
let db: Db;
let caseId: string;

beforeAll(async () => {
  system = await startE2eSystem('cases');
  ({ stack, browser, db } = system);

  // A report whose summary is an XSS probe, routed to a seeded deployment's case.
  ({ caseId } = await reportToSeededCase(system, HOSTILE, POLICY));
});

afterAll(async () => {
  await system?.close();
});

async function signIn(page: Page, role: 'analyst' | 'admin') {
  const user = seededUser(stack, role);
  await signInAs(page, stack, user.email, user.password);
  await page.waitForURL(`${stack.urls.console}/`);
}

describe('case console', () => {
  it('lists the case, shows its hostile evidence as text, and triages it; the countdown then ticks', async () => {
    const page = await browser.newPage();
    const dialogs = watchDialogs(page);
    await signIn(page, 'analyst');

    await page.getByRole('link', { name: 'Cases' }).click();
    const row = page.locator(`[data-testid="case-row"][data-case-id="${caseId}"]`);
    await row.waitFor();
    await expect(row.getAttribute('data-state')).resolves.toBe('triage');
    await row.getByTestId('case-link').click();
    await page.waitForURL(`${stack.urls.console}/cases/${caseId}`);

    const summary = page.getByTestId('evidence-summary').first();
    await summary.waitFor();
    await expect(summary.textContent()).resolves.toBe(HOSTILE);
    await expect(summary.isVisible()).resolves.toBe(true);
    await expect(page.locator('[data-testid="evidence"] img').count()).resolves.toBe(0);
    await expect(page.getByTestId('temporal-link').getAttribute('href')).resolves.toContain(encodeURIComponent(`case:`));
    await expect(page.getByTestId('timeline-entry').first().getAttribute('data-action')).resolves.toBe('case.opened');

    // A rejection without a reason is stopped in the form with a message.
    await page.getByTestId('triage-reject').click();
    await expect(page.getByTestId('triage-invalid').textContent()).resolves.toBe('Give a reason for the rejection.');

    await page.getByTestId('triage-severity').selectOption('high');
    await page.getByTestId('triage-accept').click();
    await page.locator('[data-testid="case-page"][data-state="notified"]').waitFor({ timeout: 30_000 });
    await expect(page.getByTestId('case-severity').textContent()).resolves.toBe('high');
    await expect(page.getByTestId('case-deadline-utc').textContent()).resolves.toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$/);
    await expect(page.getByTestId('no-actions').isVisible()).resolves.toBe(true);

    // Live: the text changes from one second to the next without a reload.
    const countdown = page.getByTestId('case-countdown');
    await expect(countdown.textContent()).resolves.toMatch(/^1 h 5\d min \d\d s$/);
    const first = await countdown.textContent();
    await page.waitForFunction((before) => document.querySelector('[data-testid="case-countdown"]')?.textContent !== before, first, { timeout: 5_000 });

    const triaged = await db.auditEvent.findFirstOrThrow({ where: { subjectId: caseId, action: 'case.triage_accept' } });
    expect(triaged.actorType).toBe('user');
    expect(dialogs).toEqual([]);

    // The queue shows the same countdown for the case, now notified.
    await page.goto(`${stack.urls.console}/cases`);
    const listed = page.locator(`[data-testid="case-row"][data-case-id="${caseId}"]`);
    await expect(listed.getByTestId('case-countdown').textContent()).resolves.toMatch(/^1 h 5\d min \d\d s$/);
    await page.close();
  });

  it('keeps the reporter pages to admins', async () => {
    const page = await browser.newPage();
    await signIn(page, 'analyst');
    await expect(page.getByRole('link', { name: 'Reporters' }).count()).resolves.toBe(0);
    await page.goto(`${stack.urls.console}/reporters`);
    await expect(page.getByTestId('reporters-forbidden').textContent()).resolves.toContain('needs the admin role');
    await page.close();
  });
});

describe('inbox and reporters', () => {
  it('takes an .eml upload; an unattributed mail lands in the inbox and its raw text shows as text', async () => {
    const page = await browser.newPage();
    const dialogs = watchDialogs(page);
    await signIn(page, 'analyst');
    await page.getByRole('link', { name: 'Inbox' }).click();
    const marker = randomUUID();
    // No tenant holds 198.51.100.250: the report is parsed but not attributed.
    const eml = [
      'From: victim@example.org',
      'To: abuse@provider.example',
      `Subject: phishing page ${marker}`,
      '',
      `Phishing page at http://198.51.100.250/login ${HOSTILE}<script>alert(2)</script>`,
      '',
    ].join('\r\n');
    await page.getByTestId('eml-file').setInputFiles({ name: 'report.eml', mimeType: 'message/rfc822', buffer: Buffer.from(eml) });
    await page.getByTestId('eml-submit').click();
    await expect(page.getByTestId('eml-stored').textContent()).resolves.toMatch(/^Stored as report [0-9a-f]{8}/);
    const stored = await db.abuseReport.findFirstOrThrow({ where: { channel: 'mail', sizeBytes: Buffer.byteLength(eml) }, orderBy: { receivedAt: 'desc' } });
    // The list refreshes itself; the row appears once intake has found no tenant.
    const row = page.locator(`[data-testid="inbox-row"][data-report-id="${stored.id}"]`);
    await row.waitFor({ timeout: 40_000 });
    await row.getByTestId('inbox-open').click();
    await expect(page.getByTestId('inbox-raw').textContent()).resolves.toContain(`${HOSTILE}<script>alert(2)</script>`);
    await expect(page.locator('[data-testid="inbox-report"] img').count()).resolves.toBe(0);
    expect(dialogs).toEqual([]);
    await page.close();
  });

  it('lets an admin create a reporter and an API key that is shown once, then revoke it', async () => {
    const page = await browser.newPage();
    // The revoke button asks for confirmation: accept it.
    const dialogs = watchDialogs(page, 'accept');
    await signIn(page, 'admin');
    await page.getByRole('link', { name: 'Reporters' }).click();
    const name = `Feed ${randomUUID().slice(0, 6)}`;
    await page.getByTestId('reporter-name').fill(name);
    await page.getByTestId('reporter-create').click();
    const reporter = page.getByTestId('reporter').filter({ hasText: name });
    await reporter.getByTestId('key-label').fill('nightly import');
    await reporter.getByTestId('key-create').click();
    const key = await reporter.getByTestId('key-value').textContent();
    expect(key).toMatch(/^sgk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/);
    const prefix = key!.split('_')[1]!;
    const keyRow = reporter.locator(`[data-testid="api-key"][data-prefix="${prefix}"]`);
    await expect(keyRow.getAttribute('data-revoked')).resolves.toBe('no');
    await keyRow.getByTestId('api-key-revoke').click();
    await reporter.locator(`[data-testid="api-key"][data-prefix="${prefix}"][data-revoked="yes"]`).waitFor();
    expect(dialogs).toEqual(['Revoke the key "nightly import"? Reports sent with it will be refused.']);
    // After a reload the key itself is nowhere on the page.
    await page.reload();
    await page.getByTestId('reporter').first().waitFor();
    expect(await page.content()).not.toContain(key!.split('_').slice(2).join('_'));
    await page.close();
  });
});

describe('public report form', () => {
  it('takes a report without an account, says to check the email, and confirms from the emailed link', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const dialogs = watchDialogs(page);
    const email = `reporter-${randomUUID().slice(0, 8)}@reporter.example`;
    await page.goto(`${stack.urls.console}/report`);

    // Missing fields get a message each, and nothing is sent.
    await page.getByTestId('report-submit').click();
    await expect(page.getByTestId('report-error-email').textContent()).resolves.toContain('email');
    await expect(page.getByTestId('report-error-sourceIps').textContent()).resolves.toBe('Enter at least one source IP address.');

    await page.getByTestId('report-email').fill(email);
    await page.getByTestId('report-category').selectOption('phishing');
    await page.getByTestId('report-ips').fill('198.51.100.20');
    await page.getByTestId('report-time').fill('2026-11-28T09:30');
    await page.getByTestId('report-description').fill(`A fake bank login page ${HOSTILE}`);
    await page.getByTestId('report-submit').click();
    await expect(page.getByTestId('report-sent').textContent()).resolves.toContain('Check your email');
    const held = await db.abuseReport.findFirstOrThrow({ where: { reporterEmail: email } });
    expect(held).toMatchObject({ channel: 'web_form', confirmedAt: null, parseStatus: 'pending' });

    const mail = await createMailbox(stack.urls.mailboxApi!).waitForMessage((m) => m.To.some((t) => t.Address === email), { timeoutMs: 30_000 });
    const link = /https?:\/\/\S+\/report\/confirm\?token=[A-Za-z0-9_-]{43}/.exec(mail.Text)?.[0];
    if (!link) throw new Error(`no confirmation link in:\n${mail.Text}`);
    await page.goto(`${stack.urls.console}${new URL(link).pathname}${new URL(link).search}`);
    await page.getByTestId('confirm-submit').click();
    await page.getByTestId('confirm-done').waitFor();
    // Confirmed, the report goes through intake: parsed with the category the reporter chose.
    for (const until = Date.now() + 30_000; ; ) {
      const row = await db.abuseReport.findUniqueOrThrow({ where: { id: held.id } });
      if (row.parseStatus === 'parsed') {
        expect(row.confirmedAt).not.toBeNull();
        expect(row.category).toBe('phishing');
        break;
      }
      if (Date.now() > until) throw new Error(`the confirmed report was not parsed (${row.parseStatus})`);
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(dialogs).toEqual([]);
    await context.close();
  });
});
