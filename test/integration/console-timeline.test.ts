// Timelines name their actors. lib/actors.ts against a real PostgreSQL: users by id and by email, tenants by id,
// Safeguard's own parts, ids it cannot find, and one query per kind of record for a whole batch. Then the case,
// access, forensics and audit procedures through createCaller, with entries written the way their writers write them,
// and the timeline rendered: a hostile user name travels as plain text and React escapes it.
import { randomUUID } from 'node:crypto';
import { PrismaPg } from '@prisma/adapter-pg';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { accessWorkflowId } from '../../domain/access/contracts';
import { caseWorkflowId } from '../../domain/cases';
import { forensicWorkflowId } from '../../domain/forensics/contracts';
import type { Role } from '../../domain/roles';
import { PrismaClient } from '../../generated/prisma/client';
import { actorLabels, type ActorRef } from '../../lib/actors';
import { appendAudit } from '../../lib/audit';
import { resetConfigForTests } from '../../lib/config';
import { db } from '../../lib/db';
import { Timeline } from '../../web/app/components/timeline';
import { createCaller } from '../../web/server/root';
import { HOSTILE } from '../support/case-fixtures';
import { createTestDatabase, type TestDatabase } from '../support/database';

let database: TestDatabase;
type Person = { id: string; email: string; name: string; role: Role };
const people = {} as Record<'ana' | 'marcus' | 'hostile', Person>;
/** A user who acted and was deleted since: only the stored id or email is left. */
const gone = { id: '', email: '' };
let tenant: { id: string; name: string; contact: string; deploymentId: string };

beforeAll(async () => {
  database = await createTestDatabase();
  process.env.DATABASE_URL = database.url;
  process.env.TEMPORAL_ADDRESS = inject('temporalAddress');
  process.env.PUBLIC_URL = 'http://console.test';
  resetConfigForTests();
  const tag = randomUUID().slice(0, 8);
  const make = async (email: string, name: string, role: Role) => {
    const u = await db().user.create({ data: { email, name, role, passwordHash: 'unused' } });
    return { id: u.id, email: u.email, name: u.name, role: u.role };
  };
  people.ana = await make(`ana-${tag}@console.test`, 'Ana Lyst', 'analyst');
  people.marcus = await make(`marcus-${tag}@console.test`, 'Marcus Approver', 'approver');
  people.hostile = await make(`mallory-${tag}@console.test`, HOSTILE, 'analyst');
  const leaver = await db().user.create({ data: { email: `leaver-${tag}@console.test`, name: 'Lee Ver', role: 'analyst', passwordHash: 'unused' } });
  await db().user.delete({ where: { id: leaver.id } });
  Object.assign(gone, { id: leaver.id, email: leaver.email });
  const t = await db().tenant.create({
    data: { slug: `acme-${tag}`, name: `Acme ${tag}`, ownerName: 'Owner', ownerEmail: `owner-${tag}@tenant.example`, securityContactEmail: `security-${tag}@tenant.example` },
  });
  const sub = await db().subscription.create({ data: { tenantId: t.id, name: 'main' } });
  const d = await db().deployment.create({ data: { tenantId: t.id, subscriptionId: sub.id, name: `web-${tag}` } });
  tenant = { id: t.id, name: t.name, contact: t.securityContactEmail!, deploymentId: d.id };
});

afterAll(async () => {
  await db().$disconnect();
  await database?.drop();
});

const as = (who: keyof typeof people) => createCaller({ user: { ...people[who], sessionId: 'test' }, secure: false, resHeaders: new Headers(), ip: '203.0.113.7' });

const caseWorkflow = () => caseWorkflowId(tenant.deploymentId, 'phishing');

describe('the resolver', () => {
  it('names users by id or email, tenants by id, and Safeguard by what acted; what it cannot find stays as stored', async () => {
    const requestId = randomUUID();
    const missingTenant = randomUUID();
    const cases: [ActorRef, { label: string; detail?: string }][] = [
      [{ actorType: 'user', actorId: people.ana.id }, { label: 'Ana Lyst', detail: people.ana.email }],
      [{ actorType: 'user', actorId: people.ana.email }, { label: 'Ana Lyst', detail: people.ana.email }],
      [{ actorType: 'user', actorId: people.marcus.email.toUpperCase() }, { label: 'Marcus Approver', detail: people.marcus.email }],
      [{ actorType: 'tenant', actorId: tenant.id }, { label: `${tenant.name} (tenant)`, detail: `tenant ${tenant.id}` }],
      // The tenant's person on a consent link: the email they gave, marked as the tenant's.
      [{ actorType: 'tenant', actorId: tenant.contact }, { label: `${tenant.contact} (tenant)`, detail: "given on the tenant's link" }],
      [{ actorType: 'system', actorId: 'case-workflow' }, { label: 'Safeguard (case workflow)' }],
      [{ actorType: 'workflow', actorId: caseWorkflow() }, { label: 'Safeguard (case workflow)', detail: caseWorkflow() }],
      [{ actorType: 'workflow', actorId: accessWorkflowId(requestId) }, { label: 'Safeguard (access workflow)', detail: accessWorkflowId(requestId) }],
      [{ actorType: 'workflow', actorId: forensicWorkflowId(requestId) }, { label: 'Safeguard (forensics workflow)', detail: forensicWorkflowId(requestId) }],
      [{ actorType: 'worker', actorId: '4242@collector-1' }, { label: 'Safeguard (worker)', detail: '4242@collector-1' }],
      [{ actorType: 'user', actorId: gone.id }, { label: gone.id, detail: 'user not on record' }],
      [{ actorType: 'user', actorId: gone.email }, { label: gone.email, detail: 'user not on record' }],
      [{ actorType: 'user', actorId: 'unknown' }, { label: 'unknown', detail: 'user not on record' }],
      [{ actorType: 'tenant', actorId: missingTenant }, { label: missingTenant, detail: 'tenant not on record' }],
      [{ actorType: 'system', actorId: 'something-new' }, { label: 'something-new', detail: 'system' }],
      [{ actorType: 'workflow', actorId: 'other:1' }, { label: 'other:1', detail: 'workflow' }],
      [{ actorType: 'martian', actorId: 'x-1' }, { label: 'x-1', detail: 'martian' }],
    ];
    const labelOf = await actorLabels(db(), cases.map(([ref]) => ref));
    expect(cases.map(([ref]) => labelOf(ref))).toEqual(cases.map(([, want]) => want));
  });

  describe('queries', () => {
    let counted: PrismaClient;
    const statements: string[] = [];

    beforeAll(() => {
      const client = new PrismaClient({ adapter: new PrismaPg({ connectionString: database.url }), log: [{ emit: 'event', level: 'query' }] });
      client.$on('query', (e) => statements.push(e.query));
      counted = client;
    });
    afterAll(() => counted?.$disconnect());

    it('looks up a whole batch with one query for users and one for tenants, not one per entry', async () => {
      const kinds: ActorRef[] = [
        { actorType: 'user', actorId: people.ana.id },
        { actorType: 'user', actorId: people.marcus.email },
        { actorType: 'user', actorId: people.hostile.id },
        { actorType: 'user', actorId: gone.email },
        { actorType: 'tenant', actorId: tenant.id },
        { actorType: 'tenant', actorId: randomUUID() },
        { actorType: 'system', actorId: 'case-workflow' },
      ];
      const batch = Array.from({ length: 70 }, (_, i) => kinds[i % kinds.length]!);
      await counted.$connect();
      statements.length = 0;
      const labelOf = await actorLabels(counted, batch);
      expect(statements).toHaveLength(2);
      expect(statements.filter((q) => q.includes('"User"'))).toHaveLength(1);
      expect(statements.filter((q) => q.includes('"Tenant"'))).toHaveLength(1);
      expect(labelOf(batch[1]!).label).toBe('Marcus Approver');
      expect(labelOf(batch[4]!).label).toBe(`${tenant.name} (tenant)`);
    });

    it('asks nothing when no entry names a user or a tenant by id', async () => {
      await counted.$connect();
      statements.length = 0;
      const labelOf = await actorLabels(counted, [
        { actorType: 'system', actorId: 'case-workflow' },
        { actorType: 'workflow', actorId: caseWorkflow() },
        { actorType: 'tenant', actorId: tenant.contact },
      ]);
      expect(statements).toEqual([]);
      expect(labelOf({ actorType: 'system', actorId: 'case-workflow' }).label).toBe('Safeguard (case workflow)');
    });
  });
});

describe('timelines in the console', () => {
  it('the case page names who acted, and a hostile name is returned as text and escaped when rendered', async () => {
    const kase = await db().case.create({
      data: { workflowId: caseWorkflow(), tenantId: tenant.id, deploymentId: tenant.deploymentId, category: 'phishing', state: 'remediation_submitted' },
    });
    // As the writers write them: the opening activity by workflow id, the case workflow as itself, the tenant by id,
    // analysts by their email (the console passes it as `by`).
    const entries: [string, string, string][] = [
      ['workflow', caseWorkflow(), 'case.opened'],
      ['user', people.ana.email, 'case.triage_accept'],
      ['system', 'case-workflow', 'case.notice_sent'],
      ['tenant', tenant.id, 'case.remediation_submitted'],
      ['user', people.hostile.email, 'case.extension_granted'],
      ['user', gone.email, 'case.remediation_verified'],
    ];
    for (const [actorType, actorId, action] of entries) await appendAudit(db(), { actorType, actorId, action, subjectType: 'case', subjectId: kase.id, data: {} });

    const c = await as('ana').cases.get({ caseId: kase.id });
    expect(c.timeline.map((e) => [e.action, e.actor])).toEqual([
      ['case.opened', { label: 'Safeguard (case workflow)', detail: caseWorkflow() }],
      ['case.triage_accept', { label: 'Ana Lyst', detail: people.ana.email }],
      ['case.notice_sent', { label: 'Safeguard (case workflow)' }],
      ['case.remediation_submitted', { label: `${tenant.name} (tenant)`, detail: `tenant ${tenant.id}` }],
      ['case.extension_granted', { label: HOSTILE, detail: people.hostile.email }],
      ['case.remediation_verified', { label: gone.email, detail: 'user not on record' }],
    ]);
    // The stored ids are still there for whoever needs them.
    expect(c.timeline[1]).toMatchObject({ actorType: 'user', actorId: people.ana.email });

    const html = renderToStaticMarkup(createElement(Timeline, { entries: c.timeline }));
    expect(html).toContain(`title="${people.ana.email}"`);
    expect(html).toContain('>Ana Lyst</span>');
    expect(html).toContain('Phish kit at &lt;script&gt;alert(1)&lt;/script&gt; and &quot;&gt;&lt;img src=x onerror=alert(2)&gt;');
    expect(html).not.toContain('<script');
    expect(html).not.toContain('<img');
    expect(html.match(/data-testid="timeline-entry"/g)).toHaveLength(entries.length);
  });

  it('the access request page names the requester and approver (by id), the tenant contact and the workflow', async () => {
    const r = await db().accessRequest.create({
      data: {
        requesterId: people.ana.id,
        targetKind: 'infrastructure',
        infraScope: 'network',
        level: 'read',
        reason: 'Check the edge routers after the incident',
        durationMinutes: 60,
        requiredApprovals: 1,
        policyRule: 'infrastructure read',
        approvalDeadline: new Date(Date.now() + 3_600_000),
        requestStepUp: 'totp',
      },
    });
    const entries: [string, string, string][] = [
      ['user', people.ana.id, 'access.requested'],
      ['user', people.marcus.id, 'access.approved_by'],
      ['tenant', tenant.contact, 'access.tenant_consented'],
      ['workflow', accessWorkflowId(r.id), 'access.granted'],
    ];
    for (const [actorType, actorId, action] of entries) await appendAudit(db(), { actorType, actorId, action, subjectType: 'access_request', subjectId: r.id, data: {} });

    const view = await as('ana').access.get({ id: r.id });
    expect(view.timeline.map((e) => [e.action, e.actor.label])).toEqual([
      ['access.requested', 'Ana Lyst'],
      ['access.approved_by', 'Marcus Approver'],
      ['access.tenant_consented', `${tenant.contact} (tenant)`],
      ['access.granted', 'Safeguard (access workflow)'],
    ]);
  });

  it('the forensics page names the proposer (by email), the tenant, the collecting worker and the workflow', async () => {
    const kase = await db().case.create({
      data: { workflowId: caseWorkflowId(tenant.deploymentId, 'malware_hosting'), tenantId: tenant.id, deploymentId: tenant.deploymentId, category: 'malware_hosting', state: 'notified' },
    });
    const id = randomUUID();
    await db().forensicRequest.create({
      data: {
        id,
        workflowId: forensicWorkflowId(id),
        caseId: kase.id,
        tenantId: tenant.id,
        proposedBy: people.ana.email,
        purpose: 'Find the dropper',
        proposedScope: { targets: [{ deploymentId: tenant.deploymentId }], dataKinds: ['logs'] },
        accessHours: 8,
        retentionDays: 30,
        linkExpiresAt: new Date(Date.now() + 3_600_000),
      },
    });
    const entries: [string, string, string][] = [
      ['user', people.ana.email, 'forensics.proposed'],
      ['workflow', forensicWorkflowId(id), 'forensics.proposal_sent'],
      ['tenant', tenant.contact, 'forensics.approved'],
      ['worker', '4242@collector-1', 'forensics.artifact_collected'],
    ];
    for (const [actorType, actorId, action] of entries) await appendAudit(db(), { actorType, actorId, action, subjectType: 'forensic_request', subjectId: id, data: {} });

    const view = await as('ana').forensics.get({ id });
    expect(view.timeline.map((e) => [e.action, e.actor])).toEqual([
      ['forensics.proposed', { label: 'Ana Lyst', detail: people.ana.email }],
      ['forensics.proposal_sent', { label: 'Safeguard (forensics workflow)', detail: forensicWorkflowId(id) }],
      ['forensics.approved', { label: `${tenant.contact} (tenant)`, detail: "given on the tenant's link" }],
      ['forensics.artifact_collected', { label: 'Safeguard (worker)', detail: '4242@collector-1' }],
    ]);
  });

  it('the audit log names actors too, beside the stored ids', async () => {
    const subjectId = `timeline-${randomUUID()}`;
    await appendAudit(db(), { actorType: 'user', actorId: people.marcus.id, action: 'test.named', subjectType: 'test', subjectId, data: {} });
    const page = await as('marcus').audit.list({ filters: { subjectId } });
    expect(page.entries).toEqual([expect.objectContaining({ actorId: people.marcus.id, actor: { label: 'Marcus Approver', detail: people.marcus.email } })]);
  });
});
