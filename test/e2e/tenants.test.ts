// The tenants section in Chromium against the whole stack: an analyst finds a tenant whose name is an XSS probe, opens
// its page (deployments, current and past allocations, the suspension with its case), and asks who held an address
// at a time in the past, now, and with a typo. The hostile name is shown as text everywhere and never runs.
import { randomUUID } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../../dev/stack';
import type { Db } from '../../lib/db';
import { seededUser, signInAs, startE2eSystem, watchDialogs, type E2eSystem } from '../support/e2e';

const HOSTILE = '<img src=x onerror=alert(1)> Evil & Co <script>alert(2)</script>';

let system: E2eSystem;
let stack: Stack;
let browser: Browser;
let db: Db;
let tenantId: string;
let caseId: string;
const slug = `e2e-hostile-${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  system = await startE2eSystem('tenants');
  ({ stack, browser, db } = system);
  const tenant = await db.tenant.create({ data: { slug, name: HOSTILE, timeZone: 'Asia/Tokyo', ownerName: HOSTILE, ownerEmail: `owner@${slug}.example` } });
  tenantId = tenant.id;
  const sub = await db.subscription.create({ data: { tenantId, name: 'main' } });
  const edge = await db.deployment.create({ data: { tenantId, subscriptionId: sub.id, name: 'edge', state: 'suspended' } });
  // Documentation space the seed leaves alone: one network held now, one held only in the first half of 2024.
  await db.ipAllocation.createMany({
    data: [
      { deploymentId: edge.id, cidr: '2001:db8:e2e0::/48', validFrom: new Date('2025-01-01T00:00:00Z') },
      { deploymentId: edge.id, cidr: '2001:db8:e2e1::/48', validFrom: new Date('2024-01-01T00:00:00Z'), validTo: new Date('2024-06-01T00:00:00Z') },
    ],
  });
  const kase = await db.case.create({ data: { workflowId: `case:${edge.id}:malware`, tenantId, deploymentId: edge.id, category: 'malware', state: 'suspended' } });
  caseId = kase.id;
  await db.providerAction.create({ data: { idempotencyKey: `e2e-suspend-${caseId}`, kind: 'suspend', deploymentId: edge.id, caseId, provider: 'local', completedAt: new Date() } });
});

afterAll(async () => {
  await system?.close();
});

describe('tenants', () => {
  it('finds a tenant, shows its page, and tells who held an address when; the hostile name stays text', async () => {
    // The lookup's time field is the browser's local time: pin it so the test means the same instant everywhere.
    const context = await browser.newContext({ timezoneId: 'UTC' });
    const page = await context.newPage();
    const dialogs = watchDialogs(page);
    const analyst = seededUser(stack, 'analyst');
    await signInAs(page, stack, analyst.email, analyst.password);
    await page.waitForURL(`${stack.urls.console}/`);

    await page.getByRole('link', { name: 'Tenants', exact: true }).click();
    await page.waitForURL(`${stack.urls.console}/tenants`);
    await page.getByTestId('tenant-search-q').fill(slug.toUpperCase());
    await page.getByTestId('tenant-search-submit').click();
    const row = page.locator(`[data-testid="tenant-row"][data-tenant-id="${tenantId}"]`);
    await row.waitFor();
    await expect(page.getByTestId('tenant-row').count()).resolves.toBe(1);
    await expect(row.getByTestId('tenant-link').textContent()).resolves.toBe(HOSTILE);
    await expect(row.getByTestId('tenant-suspended').textContent()).resolves.toBe('1');
    await expect(row.getByTestId('tenant-open-cases').textContent()).resolves.toBe('1');

    await row.getByTestId('tenant-link').click();
    await page.waitForURL(`${stack.urls.console}/tenants/${tenantId}`);
    await page.getByTestId('tenant-page').waitFor();
    await expect(page.getByTestId('tenant-name').textContent()).resolves.toBe(HOSTILE);
    await expect(page.getByTestId('tenant-time-zone').textContent()).resolves.toBe('Asia/Tokyo');
    const deployment = page.getByTestId('deployment');
    await expect(deployment.getAttribute('data-state')).resolves.toBe('suspended');
    await expect(deployment.getByTestId('deployment-current').textContent()).resolves.toBe('2001:db8:e2e0::/48');
    await expect(page.locator('[data-testid="allocation"][data-current="no"]').getAttribute('data-cidr')).resolves.toBe('2001:db8:e2e1::/48');
    await expect(page.getByTestId('provider-action').getAttribute('data-kind')).resolves.toBe('suspend');
    await expect(page.locator(`[data-testid="tenant-case"][data-case-id="${caseId}"] a`).getAttribute('href')).resolves.toBe(`/cases/${caseId}`);

    await page.getByRole('link', { name: '← All tenants' }).click();
    await page.waitForURL(`${stack.urls.console}/tenants`);
    const result = page.getByTestId('lookup-result');
    await page.getByTestId('lookup-address').fill('2001:db8:e2e1::9');
    await page.getByTestId('lookup-at').fill('2024-03-01T12:00');
    await page.getByTestId('lookup-submit').click();
    await page.locator('[data-testid="lookup-result"][data-outcome="held"]').waitFor();
    await expect(result.getByTestId('lookup-tenant').textContent()).resolves.toBe(HOSTILE);
    await expect(result.getByTestId('lookup-deployment').textContent()).resolves.toBe('edge');
    await expect(result.getByTestId('lookup-cidr').textContent()).resolves.toBe('2001:db8:e2e1::/48');
    await expect(result.getByTestId('lookup-window').textContent()).resolves.toBe('2024-01-01 00:00 UTC → 2024-06-01 00:00 UTC');

    // Now, nobody: the answer says so and lists who held it before.
    await page.getByTestId('lookup-at').fill('');
    await page.getByTestId('lookup-submit').click();
    await page.locator('[data-testid="lookup-result"][data-outcome="not-held"]').waitFor();
    await expect(result.getByTestId('lookup-why').textContent()).resolves.toMatch(/^Nobody: no allocation held 2001:db8:e2e1::9 at /);
    await expect(result.getByTestId('lookup-history').getByRole('link', { name: HOSTILE }).count()).resolves.toBe(1);

    await page.getByTestId('lookup-address').fill('2001:db8:e2e1::9/200');
    await page.getByTestId('lookup-submit').click();
    await expect(page.getByTestId('lookup-error').textContent()).resolves.toMatch(/has a prefix longer than 128 bits/);

    await expect(page.locator('main img, main script').count()).resolves.toBe(0);
    expect(dialogs).toEqual([]);
    await context.close();
  });
});
