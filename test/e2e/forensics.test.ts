// The forensic consent page as a tenant meets it: the link from the real consent email opens, in Chromium and
// without an account, exactly what would be accessed; the tenant narrows the scope and approves, then revokes.
// A purpose with markup is shown as text. A made-up link gets a clear page.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../../dev/stack';
import type { Db } from '../../lib/db';
import { proposeForensicAnalysis } from '../../lib/forensics';
import { createMailbox } from '../../lib/mailbox';
import { startE2eSystem, type E2eSystem } from '../support/e2e';

const HOSTILE = 'Check <script>window.__pwned=1</script>"><img src=x onerror="window.__pwned=2"> the web server';

let system: E2eSystem;
let stack: Stack;
let browser: Browser;
let db: Db;
let token: string;
let requestId: string;
let deploymentName: string;

beforeAll(async () => {
  system = await startE2eSystem('forensics');
  ({ stack, browser, db } = system);
  const deployment = await db.deployment.findFirstOrThrow({ where: { state: 'running' }, include: { tenant: true } });
  deploymentName = deployment.name;
  const contact = deployment.tenant.securityContactEmail ?? deployment.tenant.ownerEmail;
  const kase = await db.case.create({ data: { workflowId: `case:${deployment.id}:malware_hosting`, tenantId: deployment.tenantId, deploymentId: deployment.id, category: 'malware_hosting', state: 'notified' } });
  const req = await proposeForensicAnalysis(
    db,
    system.client,
    { caseId: kase.id, scope: { targets: [{ deploymentId: deployment.id }], dataKinds: ['logs', 'memory_snapshot'] }, purpose: HOSTILE, accessHours: 8, retentionDays: 30, proposedBy: 'e2e-analyst', retention: '1 hour' },
    stack.env.TEMPORAL_TASK_QUEUE!,
  );
  requestId = req.id;
  const mail = await createMailbox(stack.urls.mailboxApi!).waitForMessage((m) => m.To.some((t) => t.Address === contact) && m.Subject.includes('consent'), { timeoutMs: 30_000 });
  const match = /\/f\/([A-Za-z0-9_-]{43})/.exec(mail.Text);
  if (!match) throw new Error(`no consent link in:\n${mail.Text}`);
  token = match[1]!;
});

afterAll(async () => {
  await system?.client.workflow.getHandle(`forensics:${requestId}`).terminate('test finished').catch(() => undefined);
  await system?.close();
});

describe('forensic consent page', () => {
  it('shows the scope and purpose as text, approves a narrowed scope, and revokes', async () => {
    const page = await browser.newPage();
    const dialogs: string[] = [];
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(`${stack.urls.console}/f/${token}`);
    await expect(page.getByTestId('consent-purpose').textContent()).resolves.toContain(HOSTILE);
    await expect(page.getByTestId('consent-scope').textContent()).resolves.toContain(deploymentName);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.locator('[data-testid="consent-page"] img, [data-testid="consent-page"] script').count()).toBe(0);

    // Narrow: logs only. The text above the form follows the boxes, and that text is what the decision records.
    await expect(page.getByTestId('consent-scope').textContent()).resolves.toMatch(/memory/i);
    await page.getByTestId('consent-kind-memory_snapshot').uncheck();
    await page.locator('[data-testid="consent-scope"][data-narrowed="yes"]').waitFor();
    const previewed = (await page.getByTestId('consent-scope').textContent())!;
    expect(previewed).not.toMatch(/memory/i);
    expect(previewed).toContain(deploymentName);
    await page.getByTestId('consent-name').fill('Dana Owner');
    await page.getByTestId('consent-email').fill('dana@tenant.example');
    await page.getByTestId('consent-approve').click();
    await page.getByTestId('consent-decision').waitFor({ timeout: 30_000 });
    const row = await db.forensicRequest.findUniqueOrThrow({ where: { id: requestId } });
    expect(row).toMatchObject({ decision: 'approved', decidedByName: 'Dana Owner', decidedByEmail: 'dana@tenant.example' });
    expect(row.approvedScope).toMatchObject({ dataKinds: ['logs'] });
    expect(row.decidedUserAgent).toMatch(/Chrom/);
    expect(row.scopeTextShown).toBe(previewed);

    await page.getByTestId('consent-revoker').fill('Dana Owner');
    await page.getByTestId('consent-revoke').click();
    // "Revocation sent" shows only until the page's next refresh finds the revocation in effect; wait for that state.
    await page.getByTestId('consent-revoked').waitFor({ timeout: 30_000 });
    expect((await db.forensicRequest.findUniqueOrThrow({ where: { id: requestId } })).revokedAt).not.toBeNull();
    expect(dialogs).toEqual([]);
    await page.close();
  });

  it('answers a made-up link with a clear page', async () => {
    const page = await browser.newPage();
    const res = await page.goto(`${stack.urls.console}/f/${'x'.repeat(43)}`);
    expect(res?.status()).toBe(404);
    await expect(page.locator('body').textContent()).resolves.toMatch(/not valid|not found|no such/i);
    await page.close();
  });
});
