// `safeguard flows import`: a flow log with a horizontal SSH scan from a tenant's address becomes one finding, stored
// through intake and routed to that deployment's port-scan case; importing the same log again adds nothing.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importFlowLog } from '../../cli/flows-import';
import { caseWorkflowId } from '../../domain/cases';
import { createMailbox } from '../../lib/mailbox';
import { createCaseFixtures, type CaseFixtures } from '../support/case-fixtures';
import { startWorkerSystem, type WorkerSystem } from '../support/worker-system';

let system: WorkerSystem;
let fx: CaseFixtures;

beforeAll(async () => {
  system = await startWorkerSystem('flows-import');
  fx = createCaseFixtures({ db: system.db, client: system.tw.client, mailbox: createMailbox(system.catcher.apiUrl) });
});

afterAll(async () => {
  await system?.close();
});

describe('flows import', () => {
  it("routes a scan found in a flow log to the scanning deployment's case, once", async () => {
    const { db, tw, dataDir } = system;
    const f = await fx.makeTenant('scan');
    await db.ipAllocation.create({ data: { deploymentId: f.deployment.id, cidr: '203.0.113.44/32', validFrom: new Date('2026-01-01T00:00:00Z') } });
    // 60 addresses probed on port 22 in two minutes, unanswered SYNs: well past Zeek's 25 hosts in 5 minutes.
    const t0 = Date.parse('2026-11-20T10:00:00Z');
    const lines = Array.from({ length: 60 }, (_, i) =>
      JSON.stringify({ start: new Date(t0 + i * 2_000).toISOString(), end: new Date(t0 + i * 2_000 + 500).toISOString(), src: '203.0.113.44', dst: `198.51.100.${i + 1}`, srcPort: 50_000 + i, dstPort: 22, protocol: 'tcp', packets: 1, bytes: 60, tcpFlags: 0x02 }),
    );
    lines.splice(10, 0, '{"not": "a flow"}');
    const file = path.join(dataDir, 'scan.jsonl');
    fs.writeFileSync(file, `${lines.join('\n')}\n`);

    const deps = { db, temporal: tw.client, taskQueue: tw.taskQueue };
    const first = await importFlowLog(file, 'jsonl', deps);
    expect(first).toMatchObject({ records: 60, badLines: 1, submitted: 1, duplicates: 0 });
    const again = await importFlowLog(file, 'jsonl', deps);
    expect(again).toMatchObject({ submitted: 0, duplicates: 1 });

    // The same scan from a host in the "scanner" group, whose threshold is higher, is its job: no finding.
    const g = await fx.makeTenant('scanner');
    await db.ipAllocation.create({ data: { deploymentId: g.deployment.id, cidr: '203.0.113.45/32', validFrom: new Date('2026-01-01T00:00:00Z'), hostGroup: 'scanner' } });
    const scannerFile = path.join(dataDir, 'scanner.jsonl');
    fs.writeFileSync(scannerFile, lines.filter((l) => l.startsWith('{"start"')).map((l) => l.replace('203.0.113.44', '203.0.113.45')).join('\n'));
    const thresholds = { hostGroups: { scanner: { horizontalScanDestinations: 1_000 } } };
    expect(await importFlowLog(scannerFile, 'jsonl', { ...deps, thresholds })).toMatchObject({ records: 60, findings: 0 });
    // Without the override the group's host is judged like any other.
    expect(await importFlowLog(scannerFile, 'jsonl', deps)).toMatchObject({ records: 60, findings: 1 });
    expect(await importFlowLog(file, 'jsonl', { ...deps, thresholds })).toMatchObject({ findings: 1, duplicates: 1 });

    const kase = await tw.runUntil(() => fx.waitForRow(caseWorkflowId(f.deployment.id, 'hacking_port_scan'), (r) => r.reportCount === 1, 60_000));
    const [report] = await db.abuseReport.findMany({ where: { caseId: kase.id } });
    expect(report).toMatchObject({ channel: 'detection', category: 'hacking_port_scan', sourceIps: ['203.0.113.44'] });
    expect(report!.summary).toContain('horizontal-scan');
  });
});
