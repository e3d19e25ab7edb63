// `safeguard vulns scan --submit`: a vulnerable bash on a tenant's VM becomes a detection, routed to the case of the
// deployment holding the VM's address; scanning the same inventory again is counted, not a second piece of evidence.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanPaths, submitFindings } from '../../cli/vulns';
import { caseWorkflowId } from '../../domain/cases';
import { createMailbox } from '../../lib/mailbox';
import { createCaseFixtures, type CaseFixtures } from '../support/case-fixtures';
import { startWorkerSystem, type WorkerSystem } from '../support/worker-system';

const fixtures = path.join(import.meta.dirname, '../fixtures/vulns');
let system: WorkerSystem;
let fx: CaseFixtures;

beforeAll(async () => {
  system = await startWorkerSystem('vulns');
  fx = createCaseFixtures({ db: system.db, client: system.tw.client, mailbox: createMailbox(system.catcher.apiUrl) });
});

afterAll(async () => {
  await system?.close();
});

describe('vulnerable packages into cases', () => {
  it('routes each finding on a known address to its deployment, once', async () => {
    const { db, tw } = system;
    const f = await fx.makeTenant('vulns');
    // web-1's inventory says it ran on 198.51.100.10 when collected (2014-10-01).
    await db.ipAllocation.create({ data: { deploymentId: f.deployment.id, cidr: '198.51.100.10/32', validFrom: new Date('2014-01-01T00:00:00Z') } });
    const scan = await scanPaths(
      { inventory: path.join(fixtures, 'inventories/web-1.dpkg-l.txt'), advisories: path.join(fixtures, 'advisories'), now: new Date('2014-10-02T00:00:00Z') },
      { write: () => undefined, warn: () => undefined, json: true },
    );
    const bash = scan.findings.filter((x) => x.source === 'bash');
    expect(bash.length).toBeGreaterThanOrEqual(2);

    const deps = { db, temporal: tw.client, taskQueue: tw.taskQueue };
    const first = await submitFindings(scan.findings, new Date('2014-10-02T00:00:00Z'), deps);
    expect(first).toMatchObject({ submitted: scan.findings.length, duplicates: 0, withoutAddress: 0 });
    const again = await submitFindings(scan.findings, new Date('2014-10-02T00:00:00Z'), deps);
    expect(again).toMatchObject({ submitted: 0, duplicates: scan.findings.length });

    // The case workflow links the evidence itself: a worker runs while we wait.
    const kase = await tw.runUntil(() => fx.waitForRow(caseWorkflowId(f.deployment.id, 'vulnerable_service'), (r) => r.reportCount === scan.findings.length, 60_000));
    const reports = await db.abuseReport.findMany({ where: { caseId: kase.id } });
    expect(reports.every((r) => r.channel === 'detection' && r.category === 'vulnerable_service' && r.sourceIps[0] === '198.51.100.10')).toBe(true);
    expect(reports.map((r) => r.summary).join('\n')).toContain('CVE-2014-6271');
  });
});
