// The tenant page as a tenant meets it: the link from a real notice email opens the case in Chromium without an
// account; they acknowledge and describe the remediation. Bad, altered and expired links get a clear page.
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../../dev/stack';
import type { CasePolicy } from '../../domain/cases';
import { hashLinkToken } from '../../lib/access-links';
import type { Db } from '../../lib/db';
import { noticedSeededCase, startE2eSystem, watchDialogs, type E2eSystem } from '../support/e2e';

const HOSTILE = 'Kit at <script>window.__pwned=1</script>"><img src=x onerror="window.__pwned=2">';
// Long enough that nothing is suspended while the browser works.
const POLICY: CasePolicy = { skipTriage: false, defaultSeverity: 'medium', remediationWindow: '2 hours', reminderOffsets: ['1h'], maxExtension: '1h' };

let system: E2eSystem;
let stack: Stack;
let browser: Browser;
let db: Db;
let token: string;
let caseId: string;
let contact: string;

beforeAll(async () => {
  system = await startE2eSystem('tenant');
  ({ stack, browser, db } = system);

  // A report against a seeded deployment, triaged by an analyst, so the tenant gets a real notice with a real link.
  ({ caseId, contact, token } = await noticedSeededCase(system, HOSTILE, POLICY));
});

afterAll(async () => {
  await system?.close();
});

describe('tenant page', () => {
  it('shows the case with the evidence as text, and lets the tenant acknowledge and describe the remediation', async () => {
    const page = await browser.newPage();
    const dialogs = watchDialogs(page);
    const response = await page.goto(`${stack.urls.console}/t/${token}`);
    expect(response?.status()).toBe(200);
    expect(new URL(page.url()).pathname).toBe(`/t/${token}/case`);
    expect(response?.headers()['referrer-policy']).toBe('no-referrer');
    await page.getByTestId('tenant-case').waitFor();

    // Attacker text is shown literally and never runs.
    await expect(page.getByTestId('tenant-evidence-summary').first().textContent()).resolves.toBe(HOSTILE);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    await expect(page.getByTestId('tenant-deadline-utc').textContent()).resolves.toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC$/);
    await expect(page.getByTestId('tenant-deadline-local').textContent()).resolves.toMatch(/\(.+\/.+\)$/);
    await expect(page.getByTestId('tenant-countdown').textContent()).resolves.toMatch(/Time left: \d+ h/);

    await page.getByTestId('tenant-acknowledge').click();
    await page.getByTestId('tenant-acknowledged').waitFor();

    await page.getByTestId('tenant-remediation-input').fill('Took the phishing kit down and rotated the CMS passwords.');
    await page.getByTestId('tenant-remediation-submit').click();
    await page.getByTestId('tenant-remediation').waitFor();
    await expect(page.getByTestId('tenant-case').getAttribute('data-state')).resolves.toBe('remediation_submitted');

    const row = await db.case.findUniqueOrThrow({ where: { id: caseId } });
    expect(row).toMatchObject({ state: 'remediation_submitted', remediation: 'Took the phishing kit down and rotated the CMS passwords.' });
    expect(row.acknowledgedAt).not.toBeNull();
    expect(dialogs).toEqual([]);
    await page.screenshot({ path: path.join(system.dataDir, 'tenant-page.png') });
    await page.close();
  });

  it('answers a made-up or altered link with a 404 page that says so', async () => {
    const page = await browser.newPage();
    const altered = `${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`;
    for (const url of [`/t/${randomBytes(32).toString('base64url')}`, `/t/${altered}`, '/t/short', `/t/${altered}/case`]) {
      const response = await page.goto(`${stack.urls.console}${url}`);
      expect(response?.status(), url).toBe(404);
      await expect(page.getByTestId('tenant-link-problem').getAttribute('data-reason')).resolves.toBe('unknown');
      await expect(page.getByTestId('tenant-link-problem').getByRole('alert').textContent()).resolves.toContain('This link is not valid');
    }
    await page.close();
  });

  it('says plainly that an expired link has expired, and changes nothing', async () => {
    const link = await db.accessLink.findUniqueOrThrow({ where: { tokenHash: hashLinkToken(token) } });
    await db.accessLink.update({ where: { id: link.id }, data: { expiresAt: new Date(Date.now() - 60_000) } });
    const page = await browser.newPage();
    const response = await page.goto(`${stack.urls.console}/t/${token}`);
    expect(response?.status()).toBe(410);
    expect(response?.headers()['referrer-policy']).toBe('no-referrer');
    await expect(page.getByTestId('tenant-link-problem').getAttribute('data-reason')).resolves.toBe('expired');
    await expect(page.getByTestId('tenant-link-problem').getByRole('alert').textContent()).resolves.toBe('This link has expired.');
    // The case page itself, reached directly, says the same.
    await page.goto(`${stack.urls.console}/t/${token}/case`);
    await expect(page.getByTestId('tenant-link-problem').getAttribute('data-reason')).resolves.toBe('expired');
    await expect(db.case.findUniqueOrThrow({ where: { id: caseId } })).resolves.toMatchObject({ state: 'remediation_submitted' });
    await page.close();
  });
});
