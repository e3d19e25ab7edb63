// The forensics workflow's side effects: the consent link and its email, the request row and its audit trail,
// collection through the provider (heartbeating, so revocation cancels it at once), analysis, deletion.
import fs from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Transporter } from 'nodemailer';
import type { Prisma } from '../generated/prisma/client';
import { FORENSIC_CONSENT_LINK, type CollectionItem, type ConsentDecision, type ForensicSnapshot, type ScopeValue } from '../domain/forensics/contracts';
import { createAccessLink } from '../lib/access-links';
import { appendAudit } from '../lib/audit';
import { config } from '../lib/config';
import type { Db } from '../lib/db';
import { createMailActivities } from './mail';
import { custodyRecord, verifyCustody, type CustodyRecord } from '../domain/forensics/custody';
import { analyseArtifacts, buildReport } from '../domain/forensics/analysis';
import type { Indicator } from '../domain/forensics/indicators';
import { DataKindSchema, type ForensicScope } from '../domain/forensics/scope';
import { createLocalArtifactProvider, ForensicProviderError } from '../lib/forensics-provider';

/** Where collected artifacts are kept until their retention ends. */
export const artifactDir = (requestId: string) => path.join(config().SAFEGUARD_DATA_DIR, 'forensics', requestId);

const json = (v: unknown) => JSON.parse(JSON.stringify(v)) as Prisma.InputJsonValue;

export function createForensicsRecordActivities({ db, mailer }: { db: Db; mailer: Transporter }) {
  const { sendNotification } = createMailActivities({ db, mailer });
  const audit = (requestId: string, action: string, actor: { type: string; id: string }, data: Record<string, unknown>) =>
    appendAudit(db, { actorType: actor.type, actorId: actor.id, action, subjectType: 'forensic_request', subjectId: requestId, data });
  const workflowActor = (requestId: string) => ({ type: 'workflow', id: `forensics:${requestId}` });

  return {
    /** Mails the tenant's approvers a link to the approval page (a new link on a retry; the mail goes once). */
    async announceForensicProposal({ requestId }: { requestId: string }): Promise<{ sent: number }> {
      const req = await db.forensicRequest.findUniqueOrThrow({ where: { id: requestId }, include: { case: { include: { tenant: true } } } });
      const tenant = req.case.tenant!;
      const approvers = [...new Set([tenant.securityContactEmail, tenant.ownerEmail].filter((e): e is string => Boolean(e)))];
      const { url } = await createAccessLink({
        purpose: FORENSIC_CONSENT_LINK,
        subjectId: requestId,
        tenantId: req.tenantId,
        ttlMs: Math.max(req.linkExpiresAt.getTime() - Date.now(), 1_000),
        path: '/f/',
      }, db);
      let sent = 0;
      for (const to of approvers) {
        const result = await sendNotification({
          idempotencyKey: `forensic-proposal:${requestId}:${to}`,
          kind: 'forensic_proposal',
          to,
          caseId: req.caseId,
          subject: `Request for your consent: forensic analysis of ${tenant.name}'s resources`,
          text: [
            `Hello ${tenant.name},`,
            '',
            'Our security team asks for your consent to a forensic analysis in connection with an abuse case on your resources.',
            `Purpose: ${req.purpose}`,
            `Access would last ${req.accessHours} hours from your approval; collected data would be kept ${req.retentionDays} days.`,
            '',
            `The page below shows exactly what would be accessed. You can approve (and narrow the scope), decline, or later revoke:`,
            url,
            '',
            `Without a decision the request is declined by itself at ${req.linkExpiresAt.toISOString()} (UTC).`,
          ].join('\n'),
        });
        if (result.sentNow) sent++;
      }
      await audit(requestId, 'forensics.proposal_sent', workflowActor(requestId), { to: approvers, linkExpiresAt: req.linkExpiresAt.toISOString() });
      return { sent };
    },

    /** Records the tenant's decision once, with who, when, from where and the exact scope text they were shown. */
    async recordForensicDecision(input: { requestId: string; decision: ConsentDecision; windowEndsAt?: string }): Promise<{ windowEndsAt?: string }> {
      const d = input.decision;
      await db.$transaction(async (tx) => {
        const { count } = await tx.forensicRequest.updateMany({
          where: { id: input.requestId, decision: null },
          data: {
            decision: d.approve ? 'approved' : 'declined',
            decidedAt: new Date(),
            decidedByName: d.by.name,
            decidedByEmail: d.by.email,
            decidedFromIp: d.by.ip ?? null,
            decidedUserAgent: d.by.userAgent ?? null,
            scopeTextShown: d.by.scopeTextShown,
            approvedScope: d.approve ? json(d.approvedScope) : undefined,
            state: d.approve ? 'approved' : 'declined',
            windowEndsAt: input.windowEndsAt ? new Date(input.windowEndsAt) : null,
          },
        });
        if (count === 0) return; // a retried activity: recorded already
        await appendAudit(tx, {
          actorType: 'tenant',
          actorId: d.by.email,
          action: d.approve ? 'forensics.approved' : 'forensics.declined',
          subjectType: 'forensic_request',
          subjectId: input.requestId,
          data: { name: d.by.name, ip: d.by.ip, userAgent: d.by.userAgent, scopeTextShown: d.by.scopeTextShown, ...(d.approve ? { approvedScope: d.approvedScope, windowEndsAt: input.windowEndsAt } : { reason: d.reason }) },
        });
      });
      // What was written first is what holds: a retried attempt (a workflow task run again) computed its own end a
      // little later, and the workflow takes the stored one so that it enforces the window the tenant was shown.
      const row = await db.forensicRequest.findUniqueOrThrow({ where: { id: input.requestId }, select: { windowEndsAt: true } });
      return { windowEndsAt: row.windowEndsAt?.toISOString() };
    },

    /** Keeps the row current for the case page and the tenant page. */
    async recordForensicState(input: { requestId: string; snapshot: ForensicSnapshot; revokedBy?: string; note?: string }): Promise<void> {
      const s = input.snapshot;
      await db.forensicRequest.update({ where: { id: input.requestId }, data: { state: s.state, ...(s.state === 'completed' ? { completedAt: new Date() } : {}) } });
      // The tenant's own withdrawal (stored when they sent it) stands; the workflow's time is for rows without one.
      if (s.revokedAt) await db.forensicRequest.updateMany({ where: { id: input.requestId, revokedAt: null }, data: { revokedAt: new Date(s.revokedAt), revokedBy: input.revokedBy } });
      await audit(input.requestId, `forensics.${s.state}`, workflowActor(input.requestId), { planned: s.planned, collected: s.collected, ...(input.revokedBy ? { revokedBy: input.revokedBy } : {}), ...(input.note ? { note: input.note } : {}) });
    },

    /** What to collect: every (VM, kind) in the approved scope; deployments without a VM list mean all their VMs. */
    async planForensicCollection({ requestId }: { requestId: string }): Promise<CollectionItem[]> {
      const req = await db.forensicRequest.findUniqueOrThrow({ where: { id: requestId } });
      if (req.decision !== 'approved' || !req.approvedScope) throw ApplicationFailure.nonRetryable('the request is not approved', 'NotApproved');
      const scope = req.approvedScope as unknown as ScopeValue;
      const provider = forensicProvider();
      const items: CollectionItem[] = [];
      for (const target of scope.targets) {
        const vms = target.vmIds ?? (await provider.listVms(target.deploymentId)).map((v: { vmId: string }) => v.vmId);
        for (const vmId of vms) for (const kind of scope.dataKinds) items.push({ deploymentId: target.deploymentId, vmId, kind });
      }
      return items;
    },

    async shareForensicReport(input: { requestId: string; by: string }): Promise<void> {
      await db.forensicRequest.update({ where: { id: input.requestId }, data: { sharedAt: new Date() } });
      await audit(input.requestId, 'forensics.report_shared', { type: 'user', id: input.by }, {});
    },

    /** Deletes the collected bytes; the custody records stay, marked deleted. */
    async deleteForensicArtifacts(input: { requestId: string; reason: string }): Promise<{ deleted: number }> {
      await fs.rm(artifactDir(input.requestId), { recursive: true, force: true });
      const { count } = await db.forensicArtifact.updateMany({ where: { requestId: input.requestId, deletedAt: null }, data: { deletedAt: new Date(), storagePath: null } });
      await db.forensicRequest.update({ where: { id: input.requestId }, data: { artifactsDeletedAt: new Date() } });
      await audit(input.requestId, 'forensics.artifacts_deleted', workflowActor(input.requestId), { deleted: count, reason: input.reason });
      return { deleted: count };
    },
  };
}

/** The configured provider (the local demo store here; a cloud adapter implements the same interface). */
function forensicProvider() {
  const c = config();
  return createLocalArtifactProvider(c.FORENSIC_ARTIFACT_DIR, { bytesPerSecond: c.FORENSIC_COLLECTION_BYTES_PER_SECOND, name: 'local-demo-store' });
}

export function createForensicsCollectionActivities({ db, identity }: { db: Db; identity: string }) {
  return {
    /** Collects one artifact inside the approved scope and window, heartbeating; cancellation stops it at once. */
    async collectArtifact(input: { requestId: string; item: CollectionItem; windowEndsAt: string }): Promise<{ artifactId: string; sha256: string }> {
      const ctx = Context.current();
      const { requestId, item } = input;
      const key = `${requestId}:${item.deploymentId}:${item.vmId}:${item.kind}`;
      const existing = await db.forensicArtifact.findUnique({ where: { collectionKey: key } });
      if (existing) return { artifactId: existing.id, sha256: existing.sha256 };
      // Defence in depth: the workflow plans from the approved scope, and the activity checks it again.
      const req = await db.forensicRequest.findUniqueOrThrow({ where: { id: requestId } });
      const scope = req.approvedScope as unknown as ScopeValue | null;
      const target = scope?.targets.find((t) => t.deploymentId === item.deploymentId);
      if (req.decision !== 'approved' || !scope || !target || !scope.dataKinds.includes(item.kind) || (target.vmIds && !target.vmIds.includes(item.vmId))) {
        throw ApplicationFailure.nonRetryable(`${item.kind} of ${item.vmId} is outside the approved scope`, 'OutOfScope');
      }
      if (req.revokedAt) return awaitRevocation(ctx, key);
      if (Date.now() >= Date.parse(input.windowEndsAt)) throw ApplicationFailure.nonRetryable('the access window has closed', 'WindowClosed');

      const kind = DataKindSchema.parse(item.kind);
      const heartbeat = setInterval(() => ctx.heartbeat({ key }), 1_000);
      let collected;
      try {
        collected = await forensicProvider().collect({ ...item, kind }, { signal: ctx.cancellationSignal, onProgress: (bytes: number) => ctx.heartbeat({ key, bytes }) });
      } catch (err) {
        if (err instanceof ForensicProviderError) throw ApplicationFailure.nonRetryable(err.message, err.code);
        throw err;
      } finally {
        clearInterval(heartbeat);
      }
      const bytes = typeof collected.bytes === 'string' ? await fs.readFile(collected.bytes) : collected.bytes;
      const readAt = new Date();
      const custody = custodyRecord({ bytes, collectedBy: identity, collectedAt: readAt, source: collected.source, requestId, deploymentId: item.deploymentId, kind, vmId: item.vmId, filename: collected.filename });
      // The provider hashed while reading; a difference means the bytes changed on the way.
      if (custody.sha256 !== collected.sha256) throw new Error(`the ${kind} of ${item.vmId} changed between reading and storing`);
      const dir = artifactDir(requestId);
      await fs.mkdir(dir, { recursive: true });
      const storagePath = path.join(dir, `${item.vmId}-${item.kind}-${path.basename(collected.filename)}`);
      await fs.writeFile(storagePath, bytes);
      const row = await db.$transaction(async (tx) => {
        // Recorded only while consent stands: the row is locked against a withdrawal being stored at the same moment,
        // which therefore comes either before (nothing is recorded) or after (it is deleted with the rest).
        const [consent] = await tx.$queryRaw<{ revokedAt: Date | null }[]>`SELECT "revokedAt" FROM "ForensicRequest" WHERE id = ${requestId}::uuid FOR UPDATE`;
        if (consent?.revokedAt) return null;
        const created = await tx.forensicArtifact.create({
          data: {
            requestId, collectionKey: key, deploymentId: item.deploymentId, vmId: item.vmId, kind: item.kind, filename: collected.filename,
            contentType: collected.contentType, sizeBytes: bytes.byteLength, sha256: custody.sha256, collectedBy: identity, collectedAt: readAt,
            source: collected.source, storagePath,
          },
        });
        await appendAudit(tx, {
          actorType: 'worker', actorId: identity, action: 'forensics.artifact_collected', subjectType: 'forensic_request', subjectId: requestId,
          data: { artifactId: created.id, vmId: item.vmId, kind: item.kind, sha256: custody.sha256, sizeBytes: bytes.byteLength, source: collected.source },
        });
        return created;
      });
      if (!row) {
        await fs.rm(storagePath, { force: true });
        return awaitRevocation(ctx, key);
      }
      return { artifactId: row.id, sha256: row.sha256 };
    },
  };
}

/** How long a collection that found consent withdrawn waits for the workflow to cancel it before failing by itself. */
const REVOCATION_WAIT_MS = 60_000;

/**
 * Consent was withdrawn and the workflow is about to hear of it (the withdrawal is stored first, then signalled). The
 * collection records nothing and waits, heartbeating, to be cancelled, so that the workflow ends it as revoked rather
 * than as a failed collection whose artifacts would go on to be analysed.
 */
async function awaitRevocation(ctx: Context, key: string): Promise<never> {
  const beat = setInterval(() => ctx.heartbeat({ key, consentRevoked: true }), 1_000);
  try {
    ctx.heartbeat({ key, consentRevoked: true });
    await ctx.sleep(REVOCATION_WAIT_MS);
  } finally {
    clearInterval(beat);
  }
  throw ApplicationFailure.nonRetryable('consent has been revoked', 'ConsentRevoked');
}

export function createForensicsAnalysisActivities({ db, identity }: { db: Db; identity: string }) {
  return {
    /**
     * Indicator matching and a timeline over what was collected (nothing is read from the tenant any more). The
     * indicators are the case's own evidence: the reported source addresses and the domains of reported URLs.
     */
    async analyseForensicArtifacts({ requestId }: { requestId: string }): Promise<{ matches: number; events: number }> {
      const ctx = Context.current();
      const req = await db.forensicRequest.findUniqueOrThrow({ where: { id: requestId }, include: { artifacts: { where: { deletedAt: null } } } });
      const scope = req.approvedScope as unknown as ForensicScope;
      const reports = await db.abuseReport.findMany({ where: { caseId: req.caseId }, select: { sourceIps: true, reportedUrls: true } });
      const indicators = caseIndicators(reports);
      // The VMs' clocks: log lines without an offset are read in the zone of the machine that wrote them.
      const zones = new Map<string, string | undefined>();
      for (const deploymentId of new Set(req.artifacts.map((a) => a.deploymentId))) {
        for (const vm of await forensicProvider().listVms(deploymentId)) zones.set(`${deploymentId}/${vm.vmId}`, vm.timeZone);
      }
      const custody: CustodyRecord[] = [];
      const artifacts = [];
      const tampered: { artifact: string; reason: string }[] = [];
      for (const a of req.artifacts) {
        ctx.heartbeat({ reading: a.id });
        const kind = DataKindSchema.parse(a.kind);
        const bytes = await fs.readFile(a.storagePath!);
        const record = custodyRecord({ requestId, deploymentId: a.deploymentId, vmId: a.vmId, kind, filename: a.filename, source: a.source, collectedBy: a.collectedBy, collectedAt: a.collectedAt, sha256: a.sha256, size: a.sizeBytes });
        custody.push(record);
        // What is analysed must be what was collected: a stored file that no longer matches its custody record is left out.
        const verdict = verifyCustody(record, bytes);
        if (!verdict.ok) {
          tampered.push({ artifact: a.id, reason: `custody check failed: ${verdict.problems.join('; ')}` });
          continue;
        }
        artifacts.push({ id: a.id, deploymentId: a.deploymentId, vmId: a.vmId, kind, bytes, timeZone: zones.get(`${a.deploymentId}/${a.vmId}`) });
      }
      const analysis = analyseArtifacts(artifacts, { scope, indicators, referenceTime: req.decidedAt ?? req.createdAt });
      const { report, text } = buildReport({
        request: { requestId, caseId: req.caseId, purpose: req.purpose, scope, approvedBy: req.decidedByEmail ?? undefined, approvedAt: req.decidedAt ?? undefined, windowEndsAt: req.windowEndsAt ?? undefined },
        custody,
        ...analysis,
        refused: [...tampered, ...analysis.refused],
      });
      await db.forensicRequest.update({ where: { id: requestId }, data: { report: json(report), reportText: text, retentionUntil: new Date(Date.now() + req.retentionDays * 86_400_000) } });
      await appendAudit(db, { actorType: 'worker', actorId: identity, action: 'forensics.analysed', subjectType: 'forensic_request', subjectId: requestId, data: { artifacts: artifacts.length, matches: analysis.matches.length, events: analysis.timeline.length } });
      return { matches: analysis.matches.length, events: analysis.timeline.length };
    },
  };
}

/** Indicators from a case's reports: source addresses and the host names of reported URLs. */
export function caseIndicators(reports: { sourceIps: string[]; reportedUrls: string[] }[]): Indicator[] {
  const out = new Map<string, Indicator>();
  for (const r of reports) {
    for (const ip of r.sourceIps) out.set(`ip:${ip}`, { type: 'ip', value: ip, label: 'reported source' });
    for (const u of r.reportedUrls) {
      try {
        const host = new URL(u).hostname;
        if (host && !/^[\d.]+$|:/.test(host)) out.set(`domain:${host}`, { type: 'domain', value: host, label: 'reported URL' });
      } catch {
        // not a URL: nothing to match
      }
    }
  }
  return [...out.values()];
}
