'use client';
// One case: header, deadline, the actions this user may take now, the evidence (as text), emails and the timeline.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { Countdown } from '../../components/countdown';
import { EvidenceViewer } from '../../components/evidence-viewer';
import { Timeline } from '../../components/timeline';
import { useTRPC } from '../../../lib/trpc';
import { CASE_STATE_LABELS } from '../../../server/case-actions';
import { CaseActions } from './case-actions';
import { deadlineShown } from './deadline-shown';
import { ForensicsSection } from './forensics-section';
import { utcSecond } from '../../components/utc';
import { WorkflowRow } from '../../components/workflow-link';

export function CaseView({ caseId }: { caseId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const query = trpc.cases.get.queryOptions({ caseId });
  const kase = useQuery({ ...query, refetchInterval: 5_000 });
  const refresh = () => queryClient.invalidateQueries({ queryKey: query.queryKey });

  if (kase.isPending) return <p>Loading…</p>;
  if (kase.isError)
    return (
      <p role="alert" className="error" data-testid="case-error">
        {kase.error.message}
      </p>
    );
  const c = kase.data;
  const shown = deadlineShown(c.state, c.deadline?.at, c.closedAt);
  return (
    <section data-testid="case-page" data-state={c.state}>
      <p>
        <Link href="/cases">← All cases</Link>
      </p>
      <h1>
        Case {c.reference}: {c.categoryLabel}
      </h1>
      <div className="panel">
        <dl className="fields">
          <dt>State</dt>
          <dd>
            <span className={`state-badge ${c.state}`} data-testid="case-state">
              {CASE_STATE_LABELS[c.state]}
            </span>
            {c.reopenCount > 0 ? <span className="muted"> · reopened {c.reopenCount}×</span> : null}
          </dd>
          <dt>Severity</dt>
          <dd data-testid="case-severity">{c.severity ?? 'not set'}</dd>
          <dt>Tenant</dt>
          <dd>{c.tenant ? `${c.tenant.name} (${c.tenant.slug}) · contact ${c.tenant.contact}` : 'unknown'}</dd>
          <dt>Deployment</dt>
          <dd>{c.deployment ? `${c.deployment.name} · ${c.deployment.state}` : 'unknown'}</dd>
          {shown.kind === 'ended' ? (
            <>
              <dt>Closed</dt>
              <dd data-testid="case-closed">{shown.text}; no deadline applies any more.</dd>
            </>
          ) : (
            <>
              <dt>Deadline</dt>
              <dd data-testid="case-deadline">
                {c.deadline && shown.kind === 'deadline' ? (
                  <>
                    <span data-testid="case-deadline-utc">{c.deadline.utc}</span>
                    <br />
                    <span className="muted">tenant: {c.deadline.local}</span>
                    <br />
                    <span className="muted" suppressHydrationWarning>
                      yours: {new Date(c.deadline.at).toLocaleString(undefined, { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' })}
                    </span>
                    <br />
                    Time left: <Countdown deadline={c.deadline.at} testId="case-countdown" />
                  </>
                ) : (
                  'none yet (set when the tenant is notified)'
                )}
              </dd>
            </>
          )}
          <dt>Opened</dt>
          <dd>
            {utcSecond(c.openedAt)}
            {c.closedAt ? ` · closed ${utcSecond(c.closedAt)}` : ''}
          </dd>
          {c.acknowledgedAt && (
            <>
              <dt>Acknowledged</dt>
              <dd>{utcSecond(c.acknowledgedAt)}</dd>
            </>
          )}
          {c.remediation && (
            <>
              <dt>Remediation</dt>
              <dd>
                <pre className="text-block" data-testid="case-remediation">
                  {c.remediation}
                </pre>
              </dd>
            </>
          )}
          {c.extensionStatus && (
            <>
              <dt>Extension</dt>
              <dd>
                {c.extensionStatus}
                {c.extensionReason && <pre className="text-block">{c.extensionReason}</pre>}
              </dd>
            </>
          )}
          {c.rejectReason && (
            <>
              <dt>Rejected because</dt>
              <dd>
                <pre className="text-block">{c.rejectReason}</pre>
              </dd>
            </>
          )}
          {c.mergedInto && (
            <>
              <dt>Merged into</dt>
              <dd>
                <Link href={`/cases/${c.mergedInto.id}`}>{c.mergedInto.workflowId}</Link>
              </dd>
            </>
          )}
          <WorkflowRow workflowId={c.workflowId} href={c.temporalUiLink} testId="temporal-link" />
        </dl>
      </div>

      <h2>Actions</h2>
      <CaseActions caseId={c.id} allowed={c.allowed} onDone={refresh} detectedSeverity={c.detectedSeverity} />

      <h2>Evidence ({c.reportCount})</h2>
      <EvidenceViewer reports={c.reports} total={c.reportCount} />

      <h2>Forensics</h2>
      <ForensicsSection caseId={c.id} />

      <h2>Emails</h2>
      {c.notifications.length === 0 ? (
        <p className="muted">No emails sent for this case.</p>
      ) : (
        <table data-testid="case-notifications">
          <thead>
            <tr>
              <th>When</th>
              <th>Kind</th>
              <th>To</th>
              <th>Subject</th>
              <th>Status</th>
            </tr>
          </thead>
          <tbody>
            {c.notifications.map((n) => (
              <tr key={n.id}>
                <td>{new Date(n.sentAt ?? n.createdAt).toISOString().slice(0, 19).replace('T', ' ')}</td>
                <td>{n.kind}</td>
                <td>{n.toAddress}</td>
                <td>{n.subject}</td>
                <td>
                  {n.status}
                  {n.error ? <div className="error">{n.error}</div> : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h2>Timeline</h2>
      <Timeline entries={c.timeline} />
    </section>
  );
}
