// The abuse case: triage, a notice with a remediation deadline, reminders before it, suspension when it passes
// without verified remediation, restore once an analyst verifies it. One workflow per (deployment, category);
// every transition, timer, message and email is written to the audit log.
import {
  allHandlersFinished,
  ApplicationFailure,
  CancellationScope,
  condition,
  continueAsNew,
  defineQuery,
  defineSignal,
  defineUpdate,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { AuditEntry } from '../activities/audit';
import type { CaseEmailKind, CaseStateRow, CaseStepInput, CaseStepResult, NotifyCaseInput, OpenCaseInput } from '../activities/cases';
import { caseEmailKey } from '../domain/cases';
import type {
  CaseInput,
  CaseOutcome,
  CaseSnapshot,
  CaseState,
  EvidenceRef,
  PolicyDuration,
  TriageDecision,
} from '../domain/cases';
import { durationMs } from '../domain/durations';
import { dbWrite, mail, providerCall } from './options';

const cases = proxyLocalActivities<Activities>(dbWrite);
const mailer = proxyLocalActivities<Activities>(mail);
const provider = proxyActivities<Activities>(providerCall);

// ── Messages ──
export const attachEvidenceSignal = defineSignal<[EvidenceRef]>('attachEvidence');
export const triageUpdate = defineUpdate<CaseSnapshot, [TriageDecision]>('triage');
export const acknowledgeUpdate = defineUpdate<CaseSnapshot, []>('acknowledge');
export const submitRemediationUpdate = defineUpdate<CaseSnapshot, [{ description: string }]>('submitRemediation');
export const requestExtensionUpdate = defineUpdate<CaseSnapshot, [{ reason: string; requested: PolicyDuration }]>('requestExtension');
export const decideExtensionUpdate = defineUpdate<CaseSnapshot, [{ approve: boolean; by: string; note?: string }]>('decideExtension');
export const verifyRemediationUpdate = defineUpdate<CaseSnapshot, [{ accepted: boolean; by: string; note?: string }]>('verifyRemediation');
export const caseQuery = defineQuery<CaseSnapshot>('case');

/** History length after which the case continues as new, carrying its state. */
export const DEFAULT_HISTORY_LIMIT = 2_000;
/** Longest remediation description or extension reason a tenant may send. */
export const MAX_TENANT_TEXT = 5_000;

type Actor = { type: 'system' | 'user' | 'tenant'; id: string };
type TriageAccept = Extract<TriageDecision, { action: 'accept' }>;

/** Patch: the opening with the first evidence, later evidence, and a notice with its row each go out in one local
 * activity with the queued audit entries, and a wait with a deadline keeps one timer. */
export const CASE_STEPS_PATCH = 'case-steps';

/** Patch (within case-steps): a case that skips triage is opened and noticed in one step, not two. */
export const CASE_OPEN_NOTICE_PATCH = 'case-open-notice';

export async function abuseCaseWorkflow(input: CaseInput): Promise<CaseOutcome> {
  const { workflowId } = workflowInfo();
  // Runs recorded before the patch replay the step-by-step activities; new runs take the combined steps.
  const combined = patched(CASE_STEPS_PATCH);
  const { policy, deploymentId, tenantId } = input;
  const historyLimit = input.historyLimit ?? DEFAULT_HISTORY_LIMIT;
  const s: CaseSnapshot = input.carried ?? {
    caseId: '',
    state: 'triage',
    evidence: 0,
    pendingEvidence: [],
    remindersSent: [],
    extensionRequested: false,
    suspended: false,
    everSuspended: false,
    noticeCount: 0,
  };
  const system: Actor = { type: 'system', id: 'case-workflow' };
  const tenant: Actor = { type: 'tenant', id: tenantId };
  let triaging = false;

  // ── Side effects, each audited ──
  // Audit entries are queued with the workflow's time and written in order, many per local activity: whenever the
  // workflow is about to wait, and before it ends or continues as new.
  const auditQueue: AuditEntry[] = [];
  let auditing: Promise<unknown> = Promise.resolve();
  const audit = (action: string, actor: Actor, data: Record<string, unknown> = {}): void => {
    auditQueue.push({ actorType: actor.type, actorId: actor.id, action, subjectType: 'case', subjectId: s.caseId || workflowId, data: { workflowId, ...data }, at: new Date().toISOString() });
  };
  const flushAudit = (): Promise<unknown> =>
    (auditing = auditing.then(() => {
      const batch = auditQueue.splice(0);
      return batch.length ? cases.recordAuditMany(batch) : undefined;
    }));

  // Row writes run one after another and each sends the state as it is then, so the row never goes back in time.
  let syncing: Promise<void> = Promise.resolve();
  // Emails sent on behalf of an update go out after it answers, so the tenant's page never waits on SMTP.
  const background: Promise<unknown>[] = [];
  const later = (p: Promise<unknown>) => void background.push(p);
  const sync = (): Promise<void> => (syncing = syncing.then(() => cases.recordCaseState(caseRow())));

  async function transition(state: CaseState, actor: Actor, data: Record<string, unknown> = {}): Promise<void> {
    const from = s.state;
    s.state = state;
    await sync();
    audit('case.state_changed', actor, { from, to: state, ...data });
  }

  /** One email kind; the key (with the case's opening cycle) makes a retry send nothing twice. */
  function emailTo(kind: CaseEmailKind, key: string, extra: { reportIds?: string[]; actioned?: boolean; note?: string } = {}): NotifyCaseInput {
    return { caseId: s.caseId, kind, key: caseEmailKey(kind, s.caseId, s.cycle ?? 0, key), ...extra };
  }

  async function email(kind: CaseEmailKind, key: string, extra: { reportIds?: string[]; actioned?: boolean; note?: string } = {}) {
    const { sent } = await mailer.notifyCase(emailTo(kind, key, extra));
    if (sent.length > 0) audit('case.email_sent', system, { kind, emails: sent });
  }

  /** A combined step: after the row and audit writes under way, it opens the case, writes the row, links evidence
   * and sends emails (whichever are given), then writes the queued audit entries with its own: one local activity. */
  function step(parts: Pick<CaseStepInput, 'open' | 'row' | 'evidence' | 'emails' | 'notice'>): Promise<CaseStepResult> {
    const run = Promise.all([auditing, syncing]).then(() => mailer.caseStep({ ...parts, caseId: s.caseId, workflowId, audit: auditQueue.splice(0) }));
    auditing = run;
    if (parts.row) syncing = run.then(() => undefined);
    return run;
  }

  function caseRow(): CaseStateRow {
    return {
      caseId: s.caseId,
      state: s.state,
      severity: s.severity,
      deadlineAt: s.deadlineAt,
      acknowledgedAt: s.acknowledgedAt,
      remediation: s.remediation,
      extension: s.extensionRequest && s.extensionStatus ? { reason: s.extensionRequest.reason, status: s.extensionStatus } : undefined,
      everSuspended: s.everSuspended,
      rejectReason: s.triage?.action === 'reject' ? s.triage.reason : undefined,
      mergedIntoWorkflowId: s.triage?.action === 'merge' ? s.triage.intoWorkflowId : undefined,
    };
  }

  const isOpen = () => s.state !== 'closed' && s.state !== 'rejected';
  const remediationAccepted = () => s.remediationVerdict?.accepted === true;
  const nowIso = () => new Date().toISOString();

  function requireNoticed(): void {
    if (!isOpen() || s.state === 'triage') throw new Error(`the case is ${s.state === 'triage' ? 'not yet notified' : s.state}`);
  }

  // ── Handlers ──
  setHandler(attachEvidenceSignal, (ref) => {
    s.pendingEvidence.push(ref);
  });
  setHandler(caseQuery, () => s);

  setHandler(
    triageUpdate,
    async (decision) => {
      triaging = true;
      try {
        if (decision.action === 'merge') {
          try {
            await cases.checkMergeTarget({ caseId: s.caseId, intoWorkflowId: decision.intoWorkflowId });
          } catch (err) {
            // The activity's reason (unknown, closed, itself) becomes the update's refusal: the innermost cause,
            // without the failure-type prefix a local activity's failure carries in its message.
            let root: unknown = err;
            while (root instanceof Error && root.cause instanceof Error) root = root.cause;
            const reason = root instanceof Error ? root.message.replace(/^ApplicationFailure: /, '') : String(err);
            throw ApplicationFailure.nonRetryable(reason, 'MergeRefused');
          }
        }
        s.triage = decision;
      } finally {
        triaging = false;
      }
      return s;
    },
    {
      validator: (decision) => {
        if (s.state !== 'triage' || s.triage || triaging) throw new Error(`the case is ${s.triage ? 'already triaged' : s.state}, not waiting for triage`);
        if (!decision.by.trim()) throw new Error('a triage decision needs the deciding user');
        if (decision.action === 'merge' && decision.intoWorkflowId === workflowId) throw new Error('a case cannot be merged into itself');
        if (decision.action === 'reject' && !decision.reason.trim()) throw new Error('a rejection needs a reason');
      },
    },
  );

  setHandler(
    acknowledgeUpdate,
    async () => {
      if (s.acknowledgedAt) return s;
      s.acknowledgedAt = nowIso();
      await sync();
      audit('case.tenant_acknowledged', tenant);
      return s;
    },
    { validator: () => requireNoticed() },
  );

  setHandler(
    submitRemediationUpdate,
    async ({ description }) => {
      s.remediation = { description: description.trim(), submittedAt: nowIso() };
      s.remediationVerdict = undefined;
      s.acknowledgedAt ??= s.remediation.submittedAt;
      if (s.state === 'notified') await transition('remediation_submitted', tenant);
      else await sync();
      audit('case.remediation_submitted', tenant, { description: s.remediation.description });
      later(email('remediation_submitted', String(s.refusals ?? 0)));
      return s;
    },
    {
      validator: ({ description }) => {
        requireNoticed();
        if (remediationAccepted()) throw new Error('the remediation has already been verified');
        if (s.remediation) throw new Error('a remediation is already waiting for verification');
        if (!description.trim()) throw new Error('describe what was done to remediate');
        if (description.length > MAX_TENANT_TEXT) throw new Error(`the description may be at most ${MAX_TENANT_TEXT} characters`);
      },
    },
  );

  setHandler(
    requestExtensionUpdate,
    async (req) => {
      s.extensionRequested = true;
      s.extensionRequest = { reason: req.reason.trim(), requested: req.requested };
      s.extensionStatus = 'requested';
      await sync();
      audit('case.extension_requested', tenant, { ...s.extensionRequest });
      later(email('extension_requested', 'request'));
      return s;
    },
    {
      validator: (req) => {
        requireNoticed();
        if (s.suspended) throw new Error('the deployment is already suspended; describe the remediation instead');
        if (remediationAccepted()) throw new Error('the remediation has already been verified');
        if (s.extensionRequested) throw new Error('an extension may be requested only once');
        if (!req.reason.trim()) throw new Error('say why more time is needed');
        if (req.reason.length > MAX_TENANT_TEXT) throw new Error(`the reason may be at most ${MAX_TENANT_TEXT} characters`);
        let ms: number;
        try {
          ms = durationMs(req.requested);
        } catch {
          throw new Error('the extension must be a duration such as "24 hours"');
        }
        if (!(ms > 0)) throw new Error('the extension must be a positive duration');
        if (ms > durationMs(policy.maxExtension)) throw new Error(`an extension may be at most ${String(policy.maxExtension)}`);
      },
    },
  );

  setHandler(
    decideExtensionUpdate,
    async ({ approve, by, note }) => {
      s.extensionStatus = approve ? 'granted' : 'refused';
      if (approve) {
        // The deadline moves by what was asked; reminders are re-armed against the new deadline.
        s.deadlineAt = new Date(Date.parse(s.deadlineAt!) + durationMs(s.extensionRequest!.requested)).toISOString();
        armReminders();
      }
      await sync();
      audit(approve ? 'case.extension_granted' : 'case.extension_refused', { type: 'user', id: by }, { note, deadlineAt: s.deadlineAt });
      later(email(approve ? 'extension_granted' : 'extension_refused', 'decision', { note }));
      return s;
    },
    {
      validator: ({ by }) => {
        if (s.extensionStatus !== 'requested') throw new Error('there is no extension request waiting for a decision');
        if (s.suspended) throw new Error('the deployment is already suspended');
        if (!by.trim()) throw new Error('a decision needs the deciding user');
      },
    },
  );

  setHandler(
    verifyRemediationUpdate,
    async (verdict) => {
      s.remediationVerdict = verdict;
      const analyst: Actor = { type: 'user', id: verdict.by };
      audit(verdict.accepted ? 'case.remediation_verified' : 'case.remediation_refused', analyst, { note: verdict.note });
      if (!verdict.accepted) {
        // Refused: the tenant may describe a new remediation; the deadline (or the suspension) stands.
        s.refusals = (s.refusals ?? 0) + 1;
        s.remediation = undefined;
        s.remediationVerdict = undefined;
        if (s.state === 'remediation_submitted') await transition('notified', analyst, { reason: 'remediation refused' });
        else await sync();
        later(email('remediation_refused', String(s.refusals), { note: verdict.note }));
      }
      return s;
    },
    {
      validator: ({ by }) => {
        if (!s.remediation || s.remediationVerdict) throw new Error('there is no remediation waiting for verification');
        if (!by.trim()) throw new Error('a verdict needs the deciding user');
      },
    },
  );

  // ── Helpers for waiting ──

  /** Reminders whose moment has already passed when a deadline is set (a short window, an extension) are skipped. */
  function armReminders(): { offset: PolicyDuration; at: string; skipped: boolean }[] {
    const deadline = Date.parse(s.deadlineAt!);
    const plan = policy.reminderOffsets.map((offset) => {
      const at = deadline - durationMs(offset);
      return { offset, at: new Date(at).toISOString(), skipped: at <= Date.now() };
    });
    s.remindersSent = plan.flatMap((r, i) => (r.skipped ? [i] : []));
    return plan;
  }

  function nextReminder(): { index: number; at: number } | undefined {
    const deadline = Date.parse(s.deadlineAt!);
    return policy.reminderOffsets
      .map((offset, index) => ({ index, at: deadline - durationMs(offset) }))
      .filter((r) => !s.remindersSent.includes(r.index) && r.at < deadline)
      .sort((a, b) => a.at - b.at)[0];
  }

  /** Links evidence that arrived by signal, acknowledges its reporters, and applies the skip-triage policy; with
   * `open`, a combined step opens the case first. */
  async function drainEvidence(open?: OpenCaseInput): Promise<void> {
    while (s.pendingEvidence.length > 0 || open) {
      const batch = s.pendingEvidence.splice(0, 100);
      const ack = { reportIds: batch.map((e) => e.id) };
      if (combined) {
        // Opening a case that skips triage: the notice goes out in the same step (the decision and the deadline are
        // the workflow's; the step completes the email key with the new case's id).
        const notice =
          open && s.state === 'triage' && !s.triage && !triaging && (policy.skipTriage || skipsTriage(batch)) && patched(CASE_OPEN_NOTICE_PATCH)
            ? noticeWithOpening()
            : undefined;
        const done = await step({ open, evidence: batch, emails: batch.length ? [emailTo('reporter_ack', 'ack', ack)] : [], notice });
        if (done.opened) {
          s.caseId = done.opened.caseId;
          s.cycle = done.opened.cycle;
        }
        open = undefined;
        s.evidence = done.reportCount ?? s.evidence;
      } else {
        const { reportCount, missing } = await cases.attachEvidence({ caseId: s.caseId, evidence: batch });
        s.evidence = reportCount;
        audit('case.evidence_attached', system, { evidence: batch.map(({ kind, id }) => ({ kind, id })), missing, reportCount });
        await email('reporter_ack', 'ack', ack);
      }
      if (s.state === 'triage' && !s.triage && !triaging && skipsTriage(batch)) {
        s.triage = { action: 'accept', severity: policy.defaultSeverity, by: 'policy' };
      }
    }
  }

  function skipsTriage(batch: EvidenceRef[]): boolean {
    return batch.some((e) => policy.skipTriageOn?.includes(e.kind));
  }

  /** The policy's acceptance and the notice's state, row and entries, for the opening step. */
  function noticeWithOpening(): NonNullable<CaseStepInput['notice']> {
    const decision: TriageAccept = { action: 'accept', severity: policy.defaultSeverity, by: 'policy' };
    s.triage = decision;
    const queued = auditQueue.length;
    audit('case.triage_accept', system, { ...decision });
    startNotice(decision, system);
    // These entries go after the opening's own (evidence, acknowledgement), as they would in two steps.
    return { row: caseRow(), audit: auditQueue.splice(queued), occasion: String(s.noticeCount) };
  }

  /** Accepted: the severity, and the deadline from now with its reminders, for the notice about to be sent. */
  function armDeadline(decision: TriageAccept): { window: PolicyDuration; reminders: ReturnType<typeof armReminders> } {
    s.severity = decision.severity;
    const window = policy.remediationWindowBySeverity?.[decision.severity] ?? policy.remediationWindow;
    s.deadlineAt = new Date(Date.now() + durationMs(window)).toISOString();
    s.noticeCount++;
    return { window, reminders: armReminders() };
  }

  /** Accepted: the deadline, the state and the entries for the notice about to be sent. */
  function startNotice(decision: TriageAccept, decider: Actor): void {
    const { window, reminders } = armDeadline(decision);
    const from = s.state;
    s.state = 'notified';
    audit('case.state_changed', decider, { from, to: s.state, severity: s.severity });
    audit('case.deadline_set', system, { deadlineAt: s.deadlineAt, window, reminders });
  }

  const tooLong = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > historyLimit;

  /** Waits until `done`, handling evidence as it comes; false when `timeoutMs` passes first. */
  async function waitFor(done: () => boolean, timeoutMs?: number): Promise<boolean> {
    if (combined && timeoutMs !== undefined) return waitWithTimer(done, timeoutMs);
    const until = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
    for (;;) {
      await flushAudit();
      const wake = () => done() || s.pendingEvidence.length > 0 || auditQueue.length > 0 || tooLong();
      const fired = until === undefined ? (await condition(wake), true) : await condition(wake, Math.max(until - Date.now(), 1));
      await drainEvidence();
      await flushAudit();
      if (done()) return true;
      if (!fired) return false;
      if (tooLong()) await carryOn();
    }
  }

  /** waitFor with one timer for the whole wait, not one started and cancelled at each piece of evidence. */
  async function waitWithTimer(done: () => boolean, timeoutMs: number): Promise<boolean> {
    let expired = false;
    const timer = new CancellationScope();
    void timer.run(() => sleep(Math.max(timeoutMs, 1))).then(
      () => (expired = true),
      () => undefined,
    );
    try {
      for (;;) {
        await flushAudit();
        await condition(() => done() || expired || s.pendingEvidence.length > 0 || auditQueue.length > 0 || tooLong());
        await drainEvidence();
        await flushAudit();
        if (done()) return true;
        if (expired) return false;
        if (tooLong()) await carryOn();
      }
    } finally {
      if (!expired) timer.cancel();
    }
  }

  /** Continue-as-new with the state, once every running handler has finished. */
  async function carryOn(): Promise<never> {
    await condition(allHandlersFinished);
    await Promise.all([syncing, ...background]);
    await flushAudit();
    return continueAsNew<typeof abuseCaseWorkflow>({ ...input, carried: s });
  }

  // ── Open (or reopen) the case row ──
  if (!s.caseId) {
    const open = { workflowId, deploymentId, tenantId, category: input.category };
    if (combined) {
      await drainEvidence(open);
    } else {
      const opened = await cases.openCase(open);
      s.caseId = opened.caseId;
      s.cycle = opened.cycle;
      await drainEvidence();
    }
  }

  // ── Triage: an analyst accepts, rejects or merges, unless the policy skips it ──
  if (s.state === 'triage') {
    if (policy.skipTriage && !s.triage) s.triage = { action: 'accept', severity: policy.defaultSeverity, by: 'policy' };
    await waitFor(() => s.triage !== undefined);
    const decision = s.triage!;
    const decider: Actor = decision.by === 'policy' ? system : { type: 'user', id: decision.by };
    audit(`case.triage_${decision.action}`, decider, { ...decision });

    if (decision.action === 'reject') {
      await transition('rejected', decider, { reason: decision.reason });
      if (decision.notifyReporter) await email('reporter_outcome', 'rejected', { actioned: false });
      return finish({ kind: 'rejected', reason: decision.reason });
    }
    if (decision.action === 'merge') {
      const { moved } = await cases.mergeCase({ caseId: s.caseId, intoWorkflowId: decision.intoWorkflowId });
      await transition('closed', decider, { mergedInto: decision.intoWorkflowId, moved });
      return finish({ kind: 'merged', intoWorkflowId: decision.intoWorkflowId });
    }

    // ── Notice: the deadline runs from now ──
    if (combined) {
      // The row, the transition's entries and the notice in one step.
      startNotice(decision, decider);
      await step({ row: caseRow(), emails: [emailTo('notice', String(s.noticeCount))] });
    } else {
      const { window, reminders } = armDeadline(decision);
      await transition('notified', decider, { severity: s.severity });
      audit('case.deadline_set', system, { deadlineAt: s.deadlineAt, window, reminders });
      await email('notice', String(s.noticeCount));
    }
  }

  // ── Until the deadline: remind, unless remediation is verified first ──
  while (!s.suspended && !remediationAccepted()) {
    const deadline = Date.parse(s.deadlineAt!);
    const reminder = nextReminder();
    const before = s.deadlineAt;
    const settled = await waitFor(() => remediationAccepted() || s.deadlineAt !== before, (reminder?.at ?? deadline) - Date.now());
    if (settled) continue;
    if (Date.now() >= deadline) {
      await suspend();
    } else if (reminder) {
      s.remindersSent.push(reminder.index);
      audit('case.reminder_due', system, { offset: policy.reminderOffsets[reminder.index], deadlineAt: s.deadlineAt });
      await email('reminder', `${s.deadlineAt}:${reminder.index}`);
    }
  }

  // ── Suspended: wait for verified remediation, then restore ──
  if (s.suspended) {
    await waitFor(remediationAccepted);
    const restored = await provider.restoreDeployment({ deploymentId, caseId: s.caseId, key: `restore:${s.caseId}:${s.cycle ?? 0}` });
    s.suspended = false;
    audit('case.deployment_restored', system, { deploymentId, providerActionId: restored.actionId, actedNow: restored.actedNow });
    await email('restored', 'restored');
  } else {
    await email('closed', 'closed');
  }

  const verifier: Actor = { type: 'user', id: s.remediationVerdict?.by ?? 'unknown' };
  await transition('closed', verifier, { everSuspended: s.everSuspended });
  await email('reporter_outcome', 'closed', { actioned: true });
  return finish({ kind: 'remediated', suspended: s.everSuspended });

  async function suspend(): Promise<void> {
    // Flag first: from here on no extension can be granted (the validators look at it).
    s.suspended = true;
    s.everSuspended = true;
    audit('case.deadline_reached', system, { deadlineAt: s.deadlineAt, remediationSubmitted: Boolean(s.remediation) });
    const action = await provider.suspendDeployment({ deploymentId, caseId: s.caseId, key: `suspend:${s.caseId}:${s.cycle ?? 0}` });
    await transition('suspended', system, { deploymentId, providerActionId: action.actionId, actedNow: action.actedNow });
    await email('suspended', 'suspended');
  }

  /** Lets running handlers finish; evidence that came in at the very end reopens the case in a new run. */
  async function finish(outcome: CaseOutcome): Promise<CaseOutcome> {
    await condition(allHandlersFinished);
    await Promise.all([syncing, ...background]);
    await flushAudit();
    if (s.pendingEvidence.length > 0) {
      const pending = s.pendingEvidence;
      await continueAsNew<typeof abuseCaseWorkflow>({ ...input, carried: undefined, ...reopenWith(pending) });
    }
    return outcome;
  }

  function reopenWith(pending: EvidenceRef[]): Pick<CaseInput, 'carried'> {
    return {
      carried: {
        caseId: '',
        state: 'triage',
        evidence: 0,
        pendingEvidence: pending,
        remindersSent: [],
        extensionRequested: false,
        suspended: false,
        everSuspended: false,
        noticeCount: 0,
      },
    };
  }
}
