// The detections page in Chromium against the whole stack: empty states before any detector reported, then the
// flows line and findings bars as SVG, the top talkers, the findings list with its filter, and a finding whose
// hostile evidence and kind are shown as text and never run.
import { createHash, randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Stack } from '../../dev/stack';
import type { Prisma } from '../../generated/prisma/client';
import type { Db } from '../../lib/db';
import { canonicalDetection, DETECTION_CONTENT_TYPE, DetectionInputSchema, parseStoredDetection, type DetectionInput } from '../../lib/detections';
import { seededUser, signInAs, startE2eSystem, watchDialogs, type E2eSystem } from '../support/e2e';

const HOSTILE = '<img src=x onerror=alert(1)><script>alert(2)</script>';
const MIN = 60_000;

let system: E2eSystem;
let stack: Stack;
let browser: Browser;
let db: Db;

beforeAll(async () => {
  system = await startE2eSystem('detections');
  ({ stack, browser, db } = system);
});

afterAll(async () => {
  await system?.close();
});

async function signIn(page: Page) {
  const user = seededUser(stack, 'analyst');
  await signInAs(page, stack, user.email, user.password);
  await page.waitForURL(`${stack.urls.console}/`);
}

async function storeFinding(input: DetectionInput, more: Partial<Prisma.AbuseReportUncheckedCreateInput>) {
  const raw = Buffer.from(canonicalDetection(DetectionInputSchema.parse(input)));
  const parsed = parseStoredDetection(raw);
  if (!parsed.ok) throw new Error(parsed.error);
  const { normalized, ...fields } = parsed.fields;
  return db.abuseReport.create({
    data: {
      channel: 'detection',
      contentType: DETECTION_CONTENT_TYPE,
      raw,
      sha256: createHash('sha256').update(raw).digest('hex'),
      sizeBytes: raw.length,
      parseStatus: 'parsed',
      ...fields,
      normalized: normalized as Prisma.InputJsonValue,
      ...more,
    },
  });
}

describe('detections page', () => {
  it('says there is no data yet before any detector has reported', async () => {
    const page = await browser.newPage();
    await signIn(page);
    await page.getByRole('link', { name: 'Detections' }).click();
    await page.waitForURL(`${stack.urls.console}/detections`);
    await expect(page.getByTestId('flows-empty').textContent()).resolves.toContain('No detector has reported traffic');
    await expect(page.getByTestId('findings-chart-empty').isVisible()).resolves.toBe(true);
    await expect(page.getByTestId('talkers-empty').isVisible()).resolves.toBe(true);
    await expect(page.getByTestId('findings-empty').textContent()).resolves.toContain('No findings yet');
    await page.close();
  });

  it('draws the charts, lists talkers and findings, and shows hostile evidence as text', async () => {
    const deployment = await db.deployment.findFirstOrThrow({ where: { state: 'running' }, include: { tenant: true } });
    const minute = Math.floor(Date.now() / MIN) * MIN;
    for (const [offset, records] of [
      [-4, 1_200],
      [-3, 6_000],
      [-2, 3_000],
    ] as const) {
      await db.flowMinute.create({
        data: {
          minute: new Date(minute + offset * MIN),
          detector: 'e2e-detector',
          records: BigInt(records),
          packets: BigInt(records * 10),
          bytes: BigInt(records * 1_500),
          findings: offset === -3 ? 1 : 0,
          topTalkers: [
            { ip: '198.51.100.77', bytes: records * 1_000, packets: records * 5, records, tenantId: deployment.tenantId, deploymentId: deployment.id },
            { ip: '192.0.2.200', bytes: 10, packets: 1, records: 1 },
          ],
        },
      });
    }
    const kase = await db.case.create({
      data: { workflowId: `case:${deployment.id}:dos:e2e-${randomUUID().slice(0, 6)}`, tenantId: deployment.tenantId, deploymentId: deployment.id, category: 'dos', state: 'triage' },
    });
    const base = {
      detector: 'netflow-dos',
      category: 'dos',
      sourceIp: '198.51.100.77',
      windowStart: new Date(minute - 3 * MIN),
      windowEnd: new Date(minute - 2 * MIN),
      counts: { packets: 30_000 },
      severity: 'high',
      confidence: 'high',
    } satisfies Partial<DetectionInput>;
    const flood = await storeFinding(
      { ...base, kind: 'syn-flood', targets: [`https://victim.example/?q=${HOSTILE}`], evidence: `SYN without ACK\n${HOSTILE}` },
      { tenantId: deployment.tenantId, deploymentId: deployment.id, attribution: 'attributed', caseId: kase.id, receivedAt: new Date(minute - MIN) },
    );
    const odd = await storeFinding({ ...base, kind: HOSTILE, evidence: 'odd kind' }, { receivedAt: new Date(minute - 2 * MIN) });

    const page = await browser.newPage();
    const dialogs = watchDialogs(page);
    await signIn(page);
    await page.goto(`${stack.urls.console}/detections`);

    // The flows line: one point per minute of the day, drawn as a path.
    const chart = page.getByTestId('flows-chart');
    await chart.waitFor();
    await expect(chart.evaluate((svg) => svg.tagName)).resolves.toBe('svg');
    await expect(page.getByTestId('flows-line').getAttribute('d')).resolves.toMatch(/^M[\d.]+ [\d.]+( L[\d.]+ [\d.]+){1439}$/);
    await expect(chart.locator('rect.hover').count()).resolves.toBe(1_440);
    await expect(page.getByTestId('traffic-stats').textContent()).resolves.toContain('100 flows/s');

    // Findings per hour: two kinds stacked, the hostile one named as text in the legend.
    await expect(page.getByTestId('findings-bar').count()).resolves.toBeGreaterThanOrEqual(1);
    await expect(page.getByTestId('findings-legend').textContent()).resolves.toContain(`${HOSTILE} (1)`);

    const talker = page.getByTestId('talker-row').first();
    await expect(talker.textContent()).resolves.toContain('198.51.100.77');
    await expect(talker.textContent()).resolves.toContain(deployment.tenant.name);

    // The list, then the kind filter.
    const rows = page.getByTestId('finding-row');
    await expect(rows.count()).resolves.toBe(2);
    await expect(rows.first().getAttribute('data-finding-id')).resolves.toBe(flood.id);
    await page.getByTestId('filter-kind').selectOption('syn-flood');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="finding-row"]').length === 1);
    await expect(page.locator(`[data-testid="finding-row"][data-finding-id="${odd.id}"]`).count()).resolves.toBe(0);
    await expect(page.locator('main img, main script').count()).resolves.toBe(0);

    // The finding: evidence verbatim in a <pre>, a link to its case.
    await rows.first().getByTestId('finding-link').click();
    await page.waitForURL(`${stack.urls.console}/detections/${flood.id}`);
    const evidence = page.getByTestId('finding-evidence');
    await expect(evidence.textContent()).resolves.toBe(`SYN without ACK\n${HOSTILE}`);
    await expect(evidence.evaluate((el) => el.tagName)).resolves.toBe('PRE');
    await expect(page.getByTestId('finding-targets').textContent()).resolves.toBe(`https://victim.example/?q=${HOSTILE}`);
    await expect(page.getByTestId('finding-case-link').getAttribute('href')).resolves.toBe(`/cases/${kase.id}`);
    await expect(page.getByTestId('finding-traffic').textContent()).resolves.toContain('over 2 minutes');
    await expect(page.locator('main img, main script').count()).resolves.toBe(0);

    await page.goto(`${stack.urls.console}/detections/${odd.id}`);
    await expect(page.getByTestId('finding-kind').textContent()).resolves.toBe(HOSTILE);
    await expect(page.locator('main img, main script').count()).resolves.toBe(0);
    expect(dialogs).toEqual([]);
    await page.close();
  });
});
