// Operators find Safeguard's workflows in the Temporal UI by tenant, deployment, category, case and kind: the worker
// registers the search attributes (idempotently, refusing a name taken with another type), every start sets them with
// a one-line summary, and a case keeps them across continue-as-new. Real dev server, real visibility store.
import { randomUUID } from 'node:crypto';
import { Client, Connection, type WorkflowExecutionInfo } from '@temporalio/client';
import type { TypedSearchAttributes } from '@temporalio/common';
import proto from '@temporalio/proto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { caseWorkflowId, type EvidenceRef } from '../../domain/cases';
import { forensicWorkflowId } from '../../domain/forensics/contracts';
import { accessWorkflowId } from '../../domain/access/contracts';
import { requestAccess } from '../../lib/access';
import { resetConfigForTests } from '../../lib/config';
import { proposeForensicAnalysis } from '../../lib/forensics';
import { createMailbox } from '../../lib/mailbox';
import {
  caseSearchMetadata,
  ensureSearchAttributes,
  SafeguardCaseId,
  SafeguardCategory,
  SafeguardDeploymentId,
  SafeguardKind,
  SafeguardTenantId,
  SEARCH_ATTRIBUTES,
} from '../../lib/search-attributes';
import { attachEvidenceSignal, type abuseCaseWorkflow } from '../../workflows/abuse-case';
import { createCaseFixtures, SHORT_POLICY, type CaseFixtures } from '../support/case-fixtures';
import { eventually } from '../support/eventually';
import { startWorkerSystem, type WorkerSystem } from '../support/worker-system';

const { IndexedValueType } = proto.temporal.api.enums.v1;

let system: WorkerSystem;
let fx: CaseFixtures;
let connection: Connection;

beforeAll(async () => {
  process.env.PUBLIC_URL = 'http://console.test';
  resetConfigForTests();
  system = await startWorkerSystem('search-attributes');
  fx = createCaseFixtures({ db: system.db, client: system.tw.client, mailbox: createMailbox(system.catcher.apiUrl) });
  connection = await Connection.connect({ address: inject('temporalAddress') });
});

afterAll(async () => {
  await connection?.close();
  await system?.close();
});

/** A namespace of its own, registered and answering, for registration from scratch. */
async function freshNamespace(): Promise<string> {
  const namespace = `sa-${randomUUID().slice(0, 8)}`;
  await connection.workflowService.registerNamespace({ namespace, workflowExecutionRetentionPeriod: proto.google.protobuf.Duration.fromObject({ seconds: 86_400 }) });
  await eventually(() => connection.workflowService.describeNamespace({ namespace }).then(() => true, () => false), `namespace ${namespace}`);
  return namespace;
}

/** The workflows a visibility query finds, once it finds `n` (visibility is eventually consistent). */
async function listed(client: Client, query: string, n: number): Promise<WorkflowExecutionInfo[]> {
  let last: WorkflowExecutionInfo[] = [];
  try {
    return await eventually(async () => {
      last = [];
      for await (const wf of client.workflow.list({ query })) last.push(wf);
      return last.length === n ? last : undefined;
    }, `${n} workflows for ${query}`, 20_000);
  } catch (err) {
    throw new Error(`${(err as Error).message}; found ${JSON.stringify(last.map((w) => w.workflowId))}`);
  }
}

const attrs = (wf: { typedSearchAttributes: TypedSearchAttributes }) => ({
  kind: wf.typedSearchAttributes.get(SafeguardKind),
  tenantId: wf.typedSearchAttributes.get(SafeguardTenantId),
  deploymentId: wf.typedSearchAttributes.get(SafeguardDeploymentId),
  category: wf.typedSearchAttributes.get(SafeguardCategory),
  caseId: wf.typedSearchAttributes.get(SafeguardCaseId),
});

describe('registering the search attributes', () => {
  it('adds every one to a namespace that has none, accepts a start with them at once, and adds nothing the second time', async () => {
    const namespace = await freshNamespace();
    const first = await ensureSearchAttributes(connection, namespace);
    expect(first).toEqual({ added: SEARCH_ATTRIBUTES.map((k) => k.name), cloud: false });
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    for (const key of SEARCH_ATTRIBUTES) expect(customAttributes[key.name]).toBe(IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD);

    // Right after: a start that carries them is accepted (no worker needed for that).
    const client = new Client({ connection, namespace });
    const tenantId = randomUUID();
    const handle = await client.workflow.start('abuseCaseWorkflow', {
      workflowId: `sa-probe-${tenantId}`,
      taskQueue: `sa-probe-${tenantId}`,
      args: [],
      ...caseSearchMetadata({ tenantId, deploymentId: randomUUID(), category: 'spam' }),
    });
    await handle.terminate('probe only');

    expect(await ensureSearchAttributes(connection, namespace)).toEqual({ added: [], cloud: false });
    // Two workers at once: both succeed, whoever adds first.
    const other = await freshNamespace();
    const both = await Promise.all([ensureSearchAttributes(connection, other), ensureSearchAttributes(connection, other)]);
    expect(both.every((r) => !r.cloud)).toBe(true);
    expect(await ensureSearchAttributes(connection, other)).toEqual({ added: [], cloud: false });
  });

  it('refuses, naming the attribute and both types, when one of its names exists with another type', async () => {
    const namespace = await freshNamespace();
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: { SafeguardTenantId: IndexedValueType.INDEXED_VALUE_TYPE_INT } });
    await eventually(async () => (await connection.operatorService.listSearchAttributes({ namespace })).customAttributes.SafeguardTenantId !== undefined, 'the Int attribute');
    await expect(ensureSearchAttributes(connection, namespace)).rejects.toThrow(`Namespace ${namespace} has search attributes of the wrong type: SafeguardTenantId is Int, Safeguard needs Keyword`);
    // Nothing half-done: the others were not added either.
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    expect(Object.keys(customAttributes).filter((n) => n.startsWith('Safeguard'))).toEqual(['SafeguardTenantId']);
  });

  it('on Temporal Cloud does not call the operator service at all', async () => {
    const untouchable = {
      operatorService: new Proxy({}, { get: () => () => Promise.reject(new Error('the operator service must not be called on Cloud')) }),
    } as unknown as Connection;
    await expect(ensureSearchAttributes(untouchable, 'acme.a1b2c', { cloud: true })).resolves.toEqual({ added: [], cloud: true });
  });
});

describe('finding the workflows in the UI', () => {
  it("finds exactly a tenant's case, forensic analysis and access request by SafeguardTenantId, each with its attributes and summary", async () => {
    const { db, tw } = system;
    const a = await fx.makeTenant('sa-a');
    const b = await fx.makeTenant('sa-b');
    // A case each, through the intake call (signal-with-start); no worker runs, so nothing but the start happens.
    const { report: ra } = await fx.makeReport(a, 'phishing');
    const { report: rb } = await fx.makeReport(b, 'phishing');
    await fx.openCase(a, 'phishing', ra.id, { taskQueue: tw.taskQueue });
    await fx.openCase(b, 'phishing', rb.id, { taskQueue: tw.taskQueue });

    const kase = await db.case.create({ data: { workflowId: `case:${a.deployment.id}:malware_hosting`, tenantId: a.tenant.id, deploymentId: a.deployment.id, category: 'malware_hosting', state: 'notified' } });
    const forensic = await proposeForensicAnalysis(
      db,
      tw.client,
      { caseId: kase.id, scope: { targets: [{ deploymentId: a.deployment.id }], dataKinds: ['logs'] }, purpose: 'Find the entry point.', accessHours: 8, retentionDays: 30, proposedBy: 'analyst@safeguard.test' },
      tw.taskQueue,
    );
    const n = randomUUID().slice(0, 8);
    const requester = await db.user.create({ data: { email: `requester-${n}@safeguard.test`, name: 'Requester', passwordHash: 'not-a-hash', role: 'analyst' } });
    await db.user.create({ data: { email: `approver-${n}@safeguard.test`, name: 'Approver', passwordHash: 'not-a-hash', role: 'approver' } });
    const access = await requestAccess(
      { db, temporal: tw.client, taskQueue: tw.taskQueue },
      {
        requesterId: requester.id,
        targetKind: 'deployment',
        deploymentId: a.deployment.id,
        level: 'read',
        customerData: false,
        reason: 'Check the web server configuration.',
        caseId: kase.id,
        durationMinutes: 30,
        stepUp: { method: 'totp', at: new Date().toISOString() },
      },
    );

    try {
      const found = await listed(tw.client, `SafeguardTenantId = "${a.tenant.id}"`, 3);
      const byId = Object.fromEntries(found.map((wf) => [wf.workflowId, attrs(wf)]));
      expect(byId).toEqual({
        [caseWorkflowId(a.deployment.id, 'phishing')]: { kind: 'case', tenantId: a.tenant.id, deploymentId: a.deployment.id, category: 'phishing', caseId: undefined },
        [forensicWorkflowId(forensic.id)]: { kind: 'forensics', tenantId: a.tenant.id, deploymentId: a.deployment.id, category: 'malware_hosting', caseId: kase.id },
        [accessWorkflowId(access.id)]: { kind: 'access', tenantId: a.tenant.id, deploymentId: a.deployment.id, category: undefined, caseId: kase.id },
      });
      // The other filters an operator reaches for.
      expect((await listed(tw.client, `SafeguardCaseId = "${kase.id}" AND SafeguardKind = "forensics"`, 1))[0]!.workflowId).toBe(forensicWorkflowId(forensic.id));
      const phishing = await listed(tw.client, `SafeguardCategory = "phishing" AND SafeguardKind = "case" AND TaskQueue = "${tw.taskQueue}"`, 2);
      expect(phishing.map((wf) => wf.workflowId).sort()).toEqual([caseWorkflowId(a.deployment.id, 'phishing'), caseWorkflowId(b.deployment.id, 'phishing')].sort());
      const pending = await listed(tw.client, `SafeguardKind = "access" AND ExecutionStatus = "Running" AND SafeguardTenantId = "${a.tenant.id}"`, 1);
      expect(pending[0]!.workflowId).toBe(accessWorkflowId(access.id));

      const summary = (workflowId: string) => tw.client.workflow.getHandle(workflowId).describe().then((d) => d.staticSummary());
      await expect(summary(caseWorkflowId(a.deployment.id, 'phishing'))).resolves.toBe(`Phishing case · deployment ${a.deployment.id} · tenant ${a.tenant.id}`);
      await expect(summary(forensicWorkflowId(forensic.id))).resolves.toBe(`Forensic analysis · malware hosting case ${kase.id} · 1 deployment · tenant ${a.tenant.id}`);
      await expect(summary(accessWorkflowId(access.id))).resolves.toBe(`Access request · read on deployment ${a.deployment.id} · tenant ${a.tenant.id} · by ${requester.email} · case ${kase.id}`);
    } finally {
      for (const id of [caseWorkflowId(a.deployment.id, 'phishing'), caseWorkflowId(b.deployment.id, 'phishing'), forensicWorkflowId(forensic.id), accessWorkflowId(access.id)]) {
        await tw.client.workflow.getHandle(id).terminate('test over').catch(() => undefined);
      }
    }
  });

  it('keeps the attributes of a case across continue-as-new', async () => {
    const { tw } = system;
    const f = await fx.makeTenant('sa-long');
    const reports = await Promise.all(Array.from({ length: 25 }, (_, i) => fx.makeReport(f, 'compromised_host', { summary: `report ${i}` })));
    const workflowId = caseWorkflowId(f.deployment.id, 'compromised_host');
    const input = { deploymentId: f.deployment.id, tenantId: f.tenant.id, category: 'compromised_host' as const, policy: { ...SHORT_POLICY, remediationWindow: 600_000 }, historyLimit: 15 };
    // As intake sends them, with a history limit small enough to force continue-as-new.
    const send = (reportId: string) =>
      tw.client.workflow.signalWithStart<typeof abuseCaseWorkflow, [EvidenceRef]>('abuseCaseWorkflow', {
        workflowId,
        taskQueue: tw.taskQueue,
        args: [input],
        signal: attachEvidenceSignal,
        signalArgs: [{ kind: 'report', id: reportId, receivedAt: new Date().toISOString() }],
        ...caseSearchMetadata(input),
      });
    await tw.runUntil(async () => {
      const firstRunId = (await send(reports[0]!.report.id)).signaledRunId;
      await fx.waitForRow(workflowId, (r) => r.reportCount === 1);
      for (const { report } of reports.slice(1)) await send(report.id);
      await fx.waitForRow(workflowId, (r) => r.reportCount === 25, 60_000);
      const handle = tw.client.workflow.getHandle(workflowId);
      const described = await eventually(async () => {
        const d = await handle.describe();
        return d.runId !== firstRunId && d;
      }, 'the case to continue as new', 20_000);
      expect(attrs(described)).toEqual({ kind: 'case', tenantId: f.tenant.id, deploymentId: f.deployment.id, category: 'compromised_host', caseId: undefined });
      const found = await listed(tw.client, `SafeguardTenantId = "${f.tenant.id}" AND ExecutionStatus = "Running"`, 1);
      expect(found[0]!.runId).toBe(described.runId);
      // The UI's Summary is given to the first run only; the memo's copy goes on.
      expect(described.memo).toEqual({ summary: `Compromised host case · deployment ${f.deployment.id} · tenant ${f.tenant.id}` });
      await handle.terminate('test over');
    });
  });
});
