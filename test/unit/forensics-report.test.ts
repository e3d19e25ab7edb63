// From the demo store to the report: collect within the approved scope, record custody, analyse, and render the
// structured report and its text the same way whatever order the artifacts arrived in.
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, test } from 'vitest';
import { analyseArtifacts, buildReport, type ArtifactInput } from '../../domain/forensics/analysis';
import { custodyRecord, verifyCustody, type CustodyRecord } from '../../domain/forensics/custody';
import type { Indicator } from '../../domain/forensics/indicators';
import { isWithinScope } from '../../domain/forensics/scope-rules';
import { DATA_KINDS, type ForensicScope } from '../../domain/forensics/types';
import { DEMO_PAYLOAD } from '../../forensics/demo-artifacts/make-stand-ins';
import { createLocalArtifactProvider, DEMO_ARTIFACTS_DIR } from '../../lib/forensics-provider';

const DEP = '6b1f0e2d-3c4a-4d5b-8e6f-7a8b9c0d1e2f';
const REQUEST = '1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f';
const CASE = '2d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f6a';
const collectedAt = new Date('2026-06-12T09:00:00Z');
// The tenant approved logs and memory of web-1 only; everything else stays out.
const approved: ForensicScope = { targets: [{ deploymentId: DEP, vmIds: ['vm-web-1'] }], dataKinds: ['logs', 'memory_snapshot', 'network_capture'] };
const PAYLOAD_SHA256 = createHash('sha256').update(DEMO_PAYLOAD).digest('hex');

const indicators: Indicator[] = [
  { type: 'ip', value: '198.51.100.201', label: 'brute-force source' },
  { type: 'ip', value: '192.0.2.150', label: 'payload and C2 server' },
  { type: 'domain', value: 'cdn-updates.example.net' },
  { type: 'sha256', value: PAYLOAD_SHA256, label: 'kworkerd' },
  { type: 'domain', value: 'never-seen.example.com' },
];

const artifacts: ArtifactInput[] = [];
const custody: CustodyRecord[] = [];

beforeAll(async () => {
  const provider = createLocalArtifactProvider(DEMO_ARTIFACTS_DIR);
  for (const vm of await provider.listVms(DEP)) {
    for (const kind of DATA_KINDS) {
      const item = { deploymentId: DEP, vmId: vm.vmId, kind };
      if (!isWithinScope(approved, item)) continue;
      const c = await provider.collect(item, { signal: new AbortController().signal, onProgress: () => {} });
      if (typeof c.bytes === 'string') throw new Error('expected bytes');
      custody.push(custodyRecord({ bytes: c.bytes, sha256: c.sha256, collectedBy: 'worker:test', collectedAt, source: c.source, requestId: REQUEST, kind, vmId: vm.vmId, deploymentId: DEP, filename: c.filename }));
      artifacts.push({ id: c.filename, deploymentId: DEP, vmId: vm.vmId, kind, bytes: c.bytes, ...(vm.timeZone ? { timeZone: vm.timeZone } : {}) });
    }
  }
});

const request = { requestId: REQUEST, caseId: CASE, purpose: 'Confirm the compromise of web-1 reported by 3 networks.', scope: approved, approvedBy: 'Lena Hoffmann', approvedAt: new Date('2026-06-12T08:30:00Z'), windowEndsAt: new Date('2026-06-12T16:30:00Z'), names: { deployments: { [DEP]: 'analytics-api' }, vms: { [DEP]: { 'vm-web-1': 'web-1' } } } };

describe('the demo story', () => {
  test('collected only what was approved, and every artifact verifies against its custody record', () => {
    expect(custody.map((c) => `${c.vmId}/${c.kind}`)).toEqual(['vm-web-1/memory_snapshot', 'vm-web-1/logs', 'vm-web-1/network_capture']);
    artifacts.forEach((a, i) => expect(verifyCustody(custody[i]!, a.bytes)).toEqual({ ok: true }));
  });

  test('holds together: the hash the integrity monitor logged is the payload in the disk image', async () => {
    const provider = createLocalArtifactProvider(DEMO_ARTIFACTS_DIR);
    const disk = await provider.collect({ deploymentId: DEP, vmId: 'vm-web-1', kind: 'disk_snapshot' }, { signal: new AbortController().signal, onProgress: () => {} });
    expect(new TextDecoder('latin1').decode(disk.bytes as Uint8Array)).toContain(`/tmp/.x/kworkerd:\n${DEMO_PAYLOAD}`);
    const logs = new TextDecoder().decode(artifacts.find((a) => a.kind === 'logs')!.bytes);
    expect(logs).toContain(`sha256sum: '${PAYLOAD_SHA256}'`);
  });

  test('tells the intrusion in order: brute force, login, download, new user, persistence, C2', () => {
    const r = analyseArtifacts(artifacts, { scope: approved, indicators, referenceTime: collectedAt });
    const firstOf = (kind: string, pred: (d: Record<string, string>) => boolean = () => true) =>
      r.timeline.find((e) => e.kind === kind && pred(e.details))!.at;
    const story = [
      firstOf('ssh_login_failed'),
      firstOf('ssh_login_accepted'),
      firstOf('download'),
      firstOf('user_added'),
      firstOf('crontab_changed'),
      firstOf('cron_job', (d) => d.command!.includes('kworkerd')),
      firstOf('outbound_connection', (d) => d.destinationPort === '4444'),
    ];
    expect(story).toEqual([
      '2026-06-12T03:12:05.000Z',
      '2026-06-12T03:14:07.000Z',
      '2026-06-12T03:15:02.000Z',
      '2026-06-12T03:15:38.000Z',
      '2026-06-12T03:16:05.000Z',
      '2026-06-12T03:20:01.000Z',
      '2026-06-12T03:20:02.000Z',
    ]);
    const ats = r.timeline.map((e) => e.atMs);
    expect(ats).toEqual([...ats].sort((a, b) => a - b));
    expect(r.refused).toEqual([]);
  });
});

describe('report', () => {
  const make = (list: ArtifactInput[], records: CustodyRecord[]) =>
    buildReport({ request, custody: records, ...analyseArtifacts(list, { scope: approved, indicators, referenceTime: collectedAt }), generatedAt: new Date('2026-06-12T10:00:00Z') });

  test('summarises matches per indicator, events per kind, and names indicators without a match', () => {
    const { report } = make(artifacts, custody);
    expect(report.summary).toMatchObject({ artifacts: 3, matchesOmitted: 0, indicatorsWithoutMatch: 1, firstEventAt: '2026-06-12T02:17:01.000Z', badLines: 0 });
    expect(report.summary.indicators.map((i) => [i.value, i.matches])).toEqual([
      ['198.51.100.201', 27],
      ['192.0.2.150', 5],
      ['cdn-updates.example.net', 3],
      [PAYLOAD_SHA256, 1],
    ]);
    expect(report.summary.eventsByKind).toMatchObject({ ssh_login_failed: 10, ssh_login_accepted: 2, user_added: 1, crontab_changed: 1 });
    expect(report.request).toMatchObject({ approvedAt: '2026-06-12T08:30:00.000Z', windowEndsAt: '2026-06-12T16:30:00.000Z' });
    expect(report.notes).toEqual([]);
  });

  test('renders the same text whatever order the artifacts and records came in', () => {
    const a = make(artifacts, custody);
    const b = make([...artifacts].reverse(), [...custody].reverse());
    expect(b.text).toBe(a.text);
    expect(a.text).toContain('Approved 2026-06-12T08:30:00.000Z by Lena Hoffmann, access until 2026-06-12T16:30:00.000Z');
    expect(a.text).toContain(`- analytics-api [deployment ${DEP}]: 1 virtual machine`);
    expect(a.text).toContain('2026-06-12T03:14:07.000Z  vm-web-1  ssh_login_accepted  SSH login accepted for deploy from 198.51.100.201 (password)');
    expect(a.text).toContain(`- sha256 ${PAYLOAD_SHA256} (kworkerd): 1 match on vm-web-1`);
    expect(a.text).toContain('Chain of custody: 3 artifacts');
    for (const c of custody) expect(a.text).toContain(`SHA-256:      ${c.sha256}`);
  });

  test('notes custody records outside the approved scope, refused artifacts and unusable indicators', () => {
    const stray = custodyRecord({ bytes: new Uint8Array([1]), collectedBy: 'x', collectedAt, source: 's', requestId: REQUEST, kind: 'disk_snapshot', vmId: 'vm-db-1', deploymentId: DEP, filename: 'vm-db-1-disk.img' });
    const { report, text } = buildReport({
      request, custody: [...custody, stray], matches: [], timeline: [],
      refused: [{ artifact: 'vm-db-1-disk.img', reason: 'data kind disk_snapshot is not in the approved scope' }],
      indicatorErrors: ['indicator 2: not a regular expression'],
      generatedAt: new Date('2026-06-12T10:00:00Z'),
    });
    expect(report.notes).toEqual([
      'Not analysed, outside the approved scope: vm-db-1-disk.img (data kind disk_snapshot is not in the approved scope).',
      'Indicator not used: indicator 2: not a regular expression.',
      'Custody record for vm-db-1-disk.img lies outside the approved scope: data kind disk_snapshot is not in the approved scope.',
    ]);
    expect(text).toContain('Timeline (UTC)\n- no events recognised');
    expect(text).toMatch(/Notes\n- Not analysed/);
  });

  test('survives a trip through JSON, as it is stored', () => {
    const { report } = make(artifacts, custody);
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
  });
});
