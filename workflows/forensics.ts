// Consent-gated forensics: nothing is collected until the tenant approves by link, only the approved scope is
// collected, only inside the access window, and revoking consent cancels running collection at once (through the
// activities' heartbeats). Artifacts are deleted when their retention ends, or when consent is withdrawn afterwards.
import {
  ApplicationFailure,
  CancellationScope,
  condition,
  defineQuery,
  defineSignal,
  defineUpdate,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  allHandlersFinished,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { durationMs } from '../domain/durations';
import type { CollectionItem, ConsentDecision, ForensicInput, ForensicOutcome, ForensicSnapshot, ScopeValue } from '../domain/forensics/contracts';
import { dbWrite, mail } from './options';

const records = proxyLocalActivities<Activities>(dbWrite);
const mailer = proxyLocalActivities<Activities>(mail);
// Collection reaches into the tenant's systems: an ordinary activity, heartbeating so cancellation reaches it.
const collector = proxyActivities<Activities>({
  startToCloseTimeout: '2 hours',
  // Short: cancellation reaches an activity with its next heartbeat, which the SDK sends at most every 80 % of this.
  heartbeatTimeout: '3 seconds',
  retry: { initialInterval: '5 seconds', maximumInterval: '2 minutes', maximumAttempts: 5 },
  cancellationType: 'WAIT_CANCELLATION_COMPLETED',
});
const analyser = proxyActivities<Activities>({ startToCloseTimeout: '30 minutes', heartbeatTimeout: '1 minute' });

export const decideUpdate = defineUpdate<ForensicSnapshot, [ConsentDecision]>('decide');
export const revokeSignal = defineSignal<[{ by: string; ip?: string; userAgent?: string }]>('revoke');
export const shareReportUpdate = defineUpdate<ForensicSnapshot, [{ by: string }]>('shareReport');
export const forensicQuery = defineQuery<ForensicSnapshot>('forensic');

const isSubset = (approved: ScopeValue, proposed: ScopeValue): boolean =>
  approved.dataKinds.length > 0 &&
  approved.targets.length > 0 &&
  approved.dataKinds.every((k) => proposed.dataKinds.includes(k)) &&
  approved.targets.every((t) => {
    const p = proposed.targets.find((x) => x.deploymentId === t.deploymentId);
    if (!p) return false;
    if (!p.vmIds) return true;
    return t.vmIds !== undefined && t.vmIds.length > 0 && t.vmIds.every((v) => p.vmIds!.includes(v));
  });

export async function forensicAnalysisWorkflow(input: ForensicInput): Promise<ForensicOutcome> {
  const { requestId } = input;
  const s: ForensicSnapshot = { state: 'proposed', planned: 0, collected: 0, reportShared: false };
  let decision: ConsentDecision | undefined;
  let revoked: { by: string; ip?: string; userAgent?: string } | undefined;

  const record = (extra: Record<string, unknown> = {}) => records.recordForensicState({ requestId, snapshot: s, ...extra });

  setHandler(forensicQuery, () => s);
  setHandler(
    decideUpdate,
    async (d) => {
      decision = d;
      s.decidedAt = new Date().toISOString();
      if (d.approve) {
        s.state = 'approved';
        s.approvedScope = d.approvedScope;
        s.windowEndsAt = new Date(Date.now() + durationMs(input.accessWindow)).toISOString();
      } else {
        s.state = 'declined';
      }
      // The stored end, not this task's own reckoning: a workflow task that ran again (its first attempt's local
      // activity already wrote the decision) would otherwise keep an end later than the one recorded and shown.
      // Histories from before it was returned carry no result: their own reckoning stands.
      const recorded = await records.recordForensicDecision({ requestId, decision: d, windowEndsAt: s.windowEndsAt });
      if (recorded?.windowEndsAt) s.windowEndsAt = recorded.windowEndsAt;
      return s;
    },
    {
      validator: (d) => {
        if (s.state !== 'proposed' || decision) throw ApplicationFailure.nonRetryable('this request has already been decided', 'AlreadyDecided');
        if (d.approve && !isSubset(d.approvedScope, input.proposedScope)) {
          throw ApplicationFailure.nonRetryable('the approved scope must be part of the proposed scope', 'ScopeNotNarrower');
        }
      },
    },
  );
  setHandler(revokeSignal, (r) => {
    if (!revoked && (s.state === 'approved' || s.state === 'collecting' || s.state === 'analysing' || s.state === 'completed' || s.state === 'window_closed')) {
      revoked = r;
      s.revokedAt = new Date().toISOString();
    }
  });
  setHandler(
    shareReportUpdate,
    async ({ by }) => {
      s.reportShared = true;
      await records.shareForensicReport({ requestId, by });
      return s;
    },
    {
      validator: (_input: { by: string }) => {
        if (s.state !== 'completed') throw ApplicationFailure.nonRetryable('there is no completed report to share', 'NoReport');
      },
    },
  );

  await mailer.announceForensicProposal({ requestId });

  // ── Consent: the tenant decides within the decision window, or it is declined by itself ──
  if (!(await condition(() => decision !== undefined, durationMs(input.decisionWindow)))) {
    s.state = 'expired';
    await record();
    return finish('expired');
  }
  if (!decision!.approve) return finish('declined');

  // ── Collection: only the approved scope, only until the window closes, stopped at once by revocation ──
  const windowEnds = Date.parse(s.windowEndsAt!);
  s.state = 'collecting';
  await record();
  const plan: CollectionItem[] = await records.planForensicCollection({ requestId });
  s.planned = plan.length;
  const collection = new CancellationScope();
  // A collection that fails (an artifact refused as out of scope, the window found closed after a worker outage)
  // ends collection; what was collected is still analysed.
  let failure: string | undefined;
  const collecting = collection
    .run(async () => {
      for (const item of plan) {
        await collector.collectArtifact({ requestId, item, windowEndsAt: s.windowEndsAt! });
        s.collected++;
      }
    })
    .then(
      () => 'done' as const,
      (err: unknown) => {
        if (isCancellation(err)) return 'cancelled' as const;
        failure = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
        return 'failed' as const;
      },
    );
  let stopped = await Promise.race([
    collecting,
    condition(() => revoked !== undefined).then(() => 'revoked' as const),
    sleep(Math.max(windowEnds - Date.now(), 1)).then(() => 'window' as const),
  ]);
  if (stopped !== 'done' && stopped !== 'failed') {
    collection.cancel();
    await collecting;
  }
  if (stopped === 'failed') {
    await records.recordForensicState({ requestId, snapshot: s, note: failure });
    stopped = Date.now() >= windowEnds ? 'window' : 'done';
  }

  if (stopped === 'revoked') {
    s.state = 'revoked';
    await record({ revokedBy: revoked!.by });
    // Consent withdrawn: nothing already collected is analysed, and it is deleted now.
    await records.deleteForensicArtifacts({ requestId, reason: 'consent revoked' });
    return finish('revoked');
  }

  // ── Analysis of what was collected (no further access to the tenant's systems) ──
  s.state = stopped === 'window' ? 'window_closed' : 'analysing';
  await record();
  await analyser.analyseForensicArtifacts({ requestId });
  s.state = 'completed';
  await record();

  // ── Retention: artifacts are kept until it ends, or until the tenant withdraws consent ──
  await condition(() => revoked !== undefined, durationMs(input.retention));
  await records.deleteForensicArtifacts({ requestId, reason: revoked ? 'consent revoked after the analysis' : 'retention ended' });
  if (revoked) {
    s.state = 'revoked';
    await record({ revokedBy: revoked.by });
  }
  return finish(stopped === 'window' ? 'window_closed' : 'completed');

  async function finish(outcome: ForensicOutcome): Promise<ForensicOutcome> {
    await condition(allHandlersFinished);
    return outcome;
  }
}
