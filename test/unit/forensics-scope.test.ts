// Forensic scope: what an analyst may propose, how far a tenant may narrow it (never widen), the exact consent text,
// and the in-scope and window checks every collection passes through.
import { describe, expect, test } from 'vitest';
import {
  accessWindow,
  canonicalScope,
  expandAllVms,
  ForensicScopeSchema,
  isWithinScope,
  isWithinWindow,
  narrowScope,
  outOfScopeReason,
  ProposalInputSchema,
  retentionEnds,
  scopeHash,
  scopeText,
  type ForensicScope,
} from '../../domain/forensics/scope';

const DEP_A = '0b7d2c1e-5a1f-4c39-9d61-3f2a8e6b7c10';
const DEP_B = '9f3e1a20-7c4d-4b8e-a1f5-6d2c0b9e8a74';
const CASE = '5d1c9b3a-2e4f-4a6b-8c7d-9e0f1a2b3c4d';

const proposed: ForensicScope = {
  targets: [{ deploymentId: DEP_A, vmIds: ['vm-web-1', 'vm-db-1'] }, { deploymentId: DEP_B }],
  dataKinds: ['logs', 'memory_snapshot', 'network_capture'],
};

describe('proposal schema', () => {
  test('fills in 8 hours of access and 30 days of retention', () => {
    const p = ProposalInputSchema.parse({ caseId: CASE, scope: proposed, purpose: '  Confirm the brute force  ' });
    expect(p).toMatchObject({ accessHours: 8, retentionDays: 30, purpose: 'Confirm the brute force' });
  });

  test('takes 72 hours and 365 days at most, and a purpose of 1 to 2000 characters', () => {
    const base = { caseId: CASE, scope: proposed, purpose: 'x' };
    expect(ProposalInputSchema.safeParse({ ...base, accessHours: 72, retentionDays: 365 }).success).toBe(true);
    expect(ProposalInputSchema.safeParse({ ...base, accessHours: 73 }).success).toBe(false);
    expect(ProposalInputSchema.safeParse({ ...base, accessHours: 0 }).success).toBe(false);
    expect(ProposalInputSchema.safeParse({ ...base, accessHours: 1.5 }).success).toBe(false);
    expect(ProposalInputSchema.safeParse({ ...base, retentionDays: 366 }).success).toBe(false);
    expect(ProposalInputSchema.safeParse({ ...base, purpose: '   ' }).success).toBe(false);
    expect(ProposalInputSchema.safeParse({ ...base, purpose: 'p'.repeat(2000) }).success).toBe(true);
    expect(ProposalInputSchema.safeParse({ ...base, purpose: 'p'.repeat(2001) }).success).toBe(false);
    expect(ProposalInputSchema.safeParse({ ...base, caseId: 'case-1' }).success).toBe(false);
  });

  test('refuses unknown kinds, duplicates, empty lists and ids that could name a path', () => {
    const bad: unknown[] = [
      { targets: [{ deploymentId: DEP_A }], dataKinds: ['registry_hive'] },
      { targets: [{ deploymentId: DEP_A }], dataKinds: ['logs', 'logs'] },
      { targets: [{ deploymentId: DEP_A }, { deploymentId: DEP_A, vmIds: ['vm-1'] }], dataKinds: ['logs'] },
      { targets: [{ deploymentId: DEP_A, vmIds: ['vm-1', 'vm-1'] }], dataKinds: ['logs'] },
      { targets: [{ deploymentId: DEP_A, vmIds: [] }], dataKinds: ['logs'] },
      { targets: [], dataKinds: ['logs'] },
      { targets: [{ deploymentId: DEP_A }], dataKinds: [] },
      { targets: [{ deploymentId: '../etc' }], dataKinds: ['logs'] },
      { targets: [{ deploymentId: DEP_A, vmIds: ['a/b'] }], dataKinds: ['logs'] },
      { targets: [{ deploymentId: DEP_A, extra: 1 }], dataKinds: ['logs'] },
    ];
    for (const scope of bad) expect(ForensicScopeSchema.safeParse(scope).success, JSON.stringify(scope)).toBe(false);
    expect(ForensicScopeSchema.safeParse(proposed).success).toBe(true);
  });
});

describe('narrowing by the tenant', () => {
  test('accepts the proposal itself, in any order', () => {
    const same: ForensicScope = {
      targets: [{ deploymentId: DEP_B }, { deploymentId: DEP_A, vmIds: ['vm-db-1', 'vm-web-1'] }],
      dataKinds: ['network_capture', 'memory_snapshot', 'logs'],
    };
    const r = narrowScope(proposed, same);
    expect(r).toEqual({ ok: true, scope: canonicalScope(proposed) });
  });

  test('accepts fewer deployments, fewer VMs and fewer kinds', () => {
    const r = narrowScope(proposed, { targets: [{ deploymentId: DEP_A, vmIds: ['vm-web-1'] }], dataKinds: ['logs'] });
    expect(r).toEqual({ ok: true, scope: { targets: [{ deploymentId: DEP_A, vmIds: ['vm-web-1'] }], dataKinds: ['logs'] } });
  });

  test('accepts named VMs where every VM of the deployment was proposed', () => {
    const r = narrowScope(proposed, { targets: [{ deploymentId: DEP_B, vmIds: ['vm-9'] }], dataKinds: ['memory_snapshot'] });
    expect(r.ok).toBe(true);
  });

  test('refuses a kind, deployment or VM that was not proposed, naming each', () => {
    const r = narrowScope(proposed, {
      targets: [
        { deploymentId: DEP_A, vmIds: ['vm-web-1', 'vm-mail-1'] },
        { deploymentId: 'c2a4e6f8-0000-4000-8000-000000000000' },
      ],
      dataKinds: ['logs', 'disk_snapshot'],
    });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toEqual([
      'data kind disk_snapshot was not proposed',
      `VM vm-mail-1 was not proposed for deployment ${DEP_A}`,
      'deployment c2a4e6f8-0000-4000-8000-000000000000 was not proposed',
    ]);
  });

  test('refuses "all VMs" where only some were proposed', () => {
    const r = narrowScope(proposed, { targets: [{ deploymentId: DEP_A }], dataKinds: ['logs'] });
    expect(r).toEqual({ ok: false, errors: [`deployment ${DEP_A}: all VMs approved, but only vm-db-1, vm-web-1 were proposed`] });
  });

  test('refuses an empty approval: declining is its own answer', () => {
    expect(narrowScope(proposed, { targets: [], dataKinds: ['logs'] }).ok).toBe(false);
    expect(narrowScope(proposed, { targets: [{ deploymentId: DEP_A, vmIds: ['vm-web-1'] }], dataKinds: [] }).ok).toBe(false);
    const emptyVms = narrowScope(proposed, { targets: [{ deploymentId: DEP_A, vmIds: [] }], dataKinds: ['logs'] });
    expect(emptyVms).toEqual({ ok: false, errors: [`deployment ${DEP_A}: an empty list of VMs`] });
  });
});

describe('scope text and hash', () => {
  const names = {
    deployments: { [DEP_A]: 'analytics-api', [DEP_B]: 'etl-workers' },
    vms: { [DEP_A]: { 'vm-web-1': 'web-1', 'vm-db-1': 'db-1' } },
  };

  test('is exactly this text', () => {
    expect(scopeText(proposed, names, { purpose: 'Confirm the intrusion.\nFind the payload.', accessHours: 8, retentionDays: 30 })).toBe(
      [
        'Deployments and machines:',
        `- analytics-api [deployment ${DEP_A}]: 2 virtual machines`,
        '    - db-1 [VM vm-db-1]',
        '    - web-1 [VM vm-web-1]',
        `- etl-workers [deployment ${DEP_B}]: every virtual machine in the deployment when collection runs`,
        '',
        'Data to collect:',
        '- Memory snapshot',
        '- System logs',
        '- Network capture',
        '',
        'Purpose:',
        '  Confirm the intrusion.',
        '  Find the payload.',
        '',
        'Access: for at most 8 hours from your approval, or until you revoke it.',
        'Artifacts kept: 30 days after the analysis ends, then deleted.',
      ].join('\n'),
    );
  });

  test('does not depend on the order the scope was written in', () => {
    const shuffled: ForensicScope = {
      targets: [{ deploymentId: DEP_B }, { deploymentId: DEP_A, vmIds: ['vm-web-1', 'vm-db-1'] }],
      dataKinds: ['network_capture', 'logs', 'memory_snapshot'],
    };
    expect(scopeText(shuffled, names)).toBe(scopeText(proposed, names));
    expect(scopeHash(shuffled)).toBe(scopeHash(proposed));
    expect(scopeHash(proposed)).toMatch(/^[0-9a-f]{64}$/);
  });

  test('changes the hash when the scope changes', () => {
    const fewer: ForensicScope = { ...proposed, dataKinds: ['logs', 'memory_snapshot'] };
    expect(scopeHash(fewer)).not.toBe(scopeHash(proposed));
    const otherVm: ForensicScope = { ...proposed, targets: [{ deploymentId: DEP_A, vmIds: ['vm-web-1'] }, { deploymentId: DEP_B }] };
    expect(scopeHash(otherVm)).not.toBe(scopeHash(proposed));
  });

  test('shows names as plain text, so a name cannot add lines to what the tenant approves', () => {
    const text = scopeText(
      { targets: [{ deploymentId: DEP_A }], dataKinds: ['logs'] },
      { deployments: { [DEP_A]: 'prod\n- Disk snapshot\u202e\u001b[2J' } },
    );
    expect(text.split('\n')).toHaveLength(5);
    expect(text).toContain('prod\\n- Disk snapshot\\u202e\\x1b[2J');
    expect(text).not.toContain('\u001b');
  });

  test('falls back to ids where no name is known', () => {
    expect(scopeText({ targets: [{ deploymentId: DEP_A, vmIds: ['vm-1'] }], dataKinds: ['disk_snapshot'] })).toBe(
      ['Deployments and machines:', `- [deployment ${DEP_A}]: 1 virtual machine`, '    - [VM vm-1]', '', 'Data to collect:', '- Disk snapshot'].join('\n'),
    );
  });
});

describe('in scope, in the window', () => {
  const approved = canonicalScope({ targets: [{ deploymentId: DEP_A, vmIds: ['vm-web-1'] }, { deploymentId: DEP_B }], dataKinds: ['logs'] });

  test('lets through only approved deployments, VMs and kinds', () => {
    expect(isWithinScope(approved, { deploymentId: DEP_A, vmId: 'vm-web-1', kind: 'logs' })).toBe(true);
    expect(isWithinScope(approved, { deploymentId: DEP_B, vmId: 'any-vm', kind: 'logs' })).toBe(true);
    expect(outOfScopeReason(approved, { deploymentId: DEP_A, vmId: 'vm-db-1', kind: 'logs' })).toBe(`VM vm-db-1 of deployment ${DEP_A} is not in the approved scope`);
    expect(outOfScopeReason(approved, { deploymentId: DEP_A, vmId: 'vm-web-1', kind: 'memory_snapshot' })).toBe('data kind memory_snapshot is not in the approved scope');
    expect(isWithinScope(approved, { deploymentId: 'other', vmId: 'vm-web-1', kind: 'logs' })).toBe(false);
  });

  test('turns "every VM" into the VMs a deployment has now', () => {
    expect(expandAllVms(proposed, { [DEP_B]: ['vm-b2', 'vm-b1'] }).targets).toEqual([
      { deploymentId: DEP_A, vmIds: ['vm-db-1', 'vm-web-1'] },
      { deploymentId: DEP_B, vmIds: ['vm-b1', 'vm-b2'] },
    ]);
  });

  test('opens the window at approval for the hours approved, and ends it exactly then', () => {
    const w = accessWindow(new Date('2026-06-12T09:00:00Z'), 8);
    expect(w.endsAt.toISOString()).toBe('2026-06-12T17:00:00.000Z');
    expect(isWithinWindow(w, new Date('2026-06-12T09:00:00Z'))).toBe(true);
    expect(isWithinWindow(w, new Date('2026-06-12T16:59:59.999Z'))).toBe(true);
    expect(isWithinWindow(w, new Date('2026-06-12T17:00:00Z'))).toBe(false);
    expect(isWithinWindow(w, new Date('2026-06-12T08:59:59Z'))).toBe(false);
    expect(retentionEnds(new Date('2026-06-12T17:00:00Z'), 30).toISOString()).toBe('2026-07-12T17:00:00.000Z');
  });
});
