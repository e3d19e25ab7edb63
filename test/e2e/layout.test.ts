// The pages at a phone's width (375 px): nothing widens the page sideways — not the tenant's evidence, not the top
// bar, not a table, not a reporter whose name is one 200-letter word — and mailed links open in a tab of their own.
import path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../../dev/stack';
import type { CasePolicy } from '../../domain/cases';
import type { Message } from '../../lib/mailbox';
import { noticedSeededCase, seededUser, signInAs, startE2eSystem, type E2eSystem } from '../support/e2e';

// Evidence as a tenant gets it: several lines, one of them a single unbroken word far wider than a phone.
const EVIDENCE = `GET /login.php?session=${'A'.repeat(300)}\nHost: kit.example\n\nReported by ${'x'.repeat(120)}@mail.example`;
const LONG_NAME = 'L'.repeat(200);
const POLICY: CasePolicy = { skipTriage: false, defaultSeverity: 'medium', remediationWindow: '2 hours', reminderOffsets: ['1h'], maxExtension: '1h' };
const PHONE = { width: 375, height: 800 };

let system: E2eSystem;
let stack: Stack;
let context: BrowserContext;
let token: string;
let caseId: string;
let notice: Message;

beforeAll(async () => {
  system = await startE2eSystem('layout');
  stack = system.stack;
  const { db } = system;

  // A triaged case on a seeded deployment, so the tenant gets a real notice with a real link.
  ({ caseId, notice, token } = await noticedSeededCase(system, EVIDENCE, POLICY));
  await db.reporter.create({ data: { name: LONG_NAME, email: 'long-name@reporter.example' } });

  context = await system.browser.newContext({ viewport: PHONE });
});

afterAll(async () => {
  await context?.close();
  await system?.close();
});

async function expectNoSidewaysScroll(page: Page, name: string) {
  const { scrollWidth, innerWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
  expect(innerWidth, name).toBe(PHONE.width);
  expect(scrollWidth, `${name} is ${scrollWidth} px wide`).toBeLessThanOrEqual(innerWidth + 1);
  await page.screenshot({ path: path.join(system.dataDir, `layout-${name}.png`), fullPage: true });
}

describe('layout at 375 px', () => {
  it('wraps the tenant page evidence inside its box, line breaks kept', async () => {
    const page = await context.newPage();
    await page.goto(`${stack.urls.console}/t/${token}`);
    const summary = page.getByTestId('tenant-evidence-summary').first();
    await summary.waitFor();
    await expect(summary.textContent()).resolves.toBe(EVIDENCE);
    const box = await summary.evaluate((el) => ({ scroll: el.scrollWidth, client: el.clientWidth, lines: getComputedStyle(el).whiteSpace }));
    expect(box.lines).toBe('pre-wrap');
    expect(box.scroll).toBeLessThanOrEqual(box.client);
    await expectNoSidewaysScroll(page, 'tenant-case');
    await page.close();
  });

  it('keeps the console pages within the screen: top bar, cases, a case, reporters, mailbox', async () => {
    const page = await context.newPage();
    const admin = seededUser(stack, 'admin');
    await signInAs(page, stack, admin.email, admin.password);
    await page.waitForURL(`${stack.urls.console}/`);
    // Every link of the top bar is on the screen (the bar wraps) and it has an icon that loads.
    for (const link of await page.locator('.topbar nav a').all()) {
      const box = (await link.boundingBox())!;
      expect(box.x + box.width, (await link.textContent()) ?? '').toBeLessThanOrEqual(PHONE.width);
    }
    const icon = await page.locator('link[rel="icon"]').getAttribute('href');
    const iconResponse = await fetch(new URL(icon!, stack.urls.console));
    expect(iconResponse.status).toBe(200);
    expect(iconResponse.headers.get('content-type')).toContain('image/svg+xml');
    await expectNoSidewaysScroll(page, 'home');

    await page.goto(`${stack.urls.console}/cases`);
    await page.locator(`[data-testid="case-row"][data-case-id="${caseId}"]`).waitFor();
    await expectNoSidewaysScroll(page, 'cases');

    await page.goto(`${stack.urls.console}/cases/${caseId}`);
    await expect(page.getByTestId('evidence-summary').first().textContent()).resolves.toBe(EVIDENCE);
    await expectNoSidewaysScroll(page, 'case');

    await page.goto(`${stack.urls.console}/reporters`);
    await page.getByTestId('reporter').filter({ hasText: LONG_NAME }).waitFor();
    await expectNoSidewaysScroll(page, 'reporters');
    await page.close();

    // On a desktop screen too, the 200-letter name wraps instead of widening the page.
    const desktop = await system.browser.newContext({ viewport: { width: 1280, height: 800 }, storageState: await context.storageState() });
    const wide = await desktop.newPage();
    await wide.goto(`${stack.urls.console}/reporters`);
    await wide.getByTestId('reporter').filter({ hasText: LONG_NAME }).waitFor();
    await expect(wide.evaluate(() => document.documentElement.scrollWidth)).resolves.toBeLessThanOrEqual(1281);
    await desktop.close();
  });

  it('shows the mailbox within the screen, with the text and HTML links opening in a new tab', async () => {
    const page = await context.newPage();
    await page.goto(`${stack.urls.console}/mailbox`);
    await page.getByTestId('mailbox-list').getByRole('button', { name: notice.Subject }).first().click();
    const link = page.getByTestId('mailbox-text').locator(`a[href*="/t/${token}"]`);
    await expect(link.getAttribute('target')).resolves.toBe('_blank');
    await expect(link.getAttribute('rel')).resolves.toBe('noopener noreferrer');
    await expect(link.textContent()).resolves.toBe(await link.getAttribute('href'));
    // The message sits on the screen, not in the list's sideways scroll.
    const message = (await page.getByTestId('mailbox-message').boundingBox())!;
    expect(message.x).toBeGreaterThanOrEqual(0);
    expect(message.x + message.width).toBeLessThanOrEqual(PHONE.width);
    await expectNoSidewaysScroll(page, 'mailbox');

    await page.getByLabel('Show the HTML part').check();
    const frame = page.getByTestId('mailbox-html');
    await expect(frame.getAttribute('sandbox')).resolves.toBe('allow-popups allow-popups-to-escape-sandbox');
    const htmlLink = page.frameLocator('[data-testid="mailbox-html"]').locator(`a[href*="/t/${token}"]`).first();
    await expect(page.frameLocator('[data-testid="mailbox-html"]').locator('base').getAttribute('target')).resolves.toBe('_blank');
    // Followed, the link opens the tenant page in a tab of its own; the frame keeps showing the message.
    const [tab] = await Promise.all([context.waitForEvent('page'), htmlLink.click()]);
    await tab.waitForURL(`${stack.urls.console}/t/${token}/case`);
    await tab.getByTestId('tenant-case').waitFor();
    expect(page.frames().find((f) => f.parentFrame() !== null)?.url()).toBe('about:srcdoc');
    await tab.close();
    await page.close();
  });
});
