'use client';
// One forensic request for the analyst: where it stands, what the tenant decided (who, from where, what they saw),
// the chain of custody of every artifact, and the report, as text, with the button that shares it with the tenant.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { FormError } from '../../components/form-error';
import { Timeline } from '../../components/timeline';
import '../../components/console.css';
import { useTRPC } from '../../../lib/trpc';
import { WorkflowRow } from '../../components/workflow-link';

const utc = (d: Date | string | null | undefined) => (d ? `${new Date(d).toISOString().slice(0, 19).replace('T', ' ')} UTC` : '—');

export function ForensicView({ id }: { id: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const query = trpc.forensics.get.queryOptions({ id });
  const req = useQuery({ ...query, refetchInterval: 3_000 });
  const share = useMutation(trpc.forensics.shareReport.mutationOptions({ onSuccess: () => queryClient.invalidateQueries({ queryKey: query.queryKey }) }));

  if (req.isPending) return <p>Loading…</p>;
  if (req.isError)
    return (
      <p role="alert" className="error" data-testid="forensic-error">
        {req.error.message}
      </p>
    );
  const r = req.data;
  const { planned, collected } = r.progress;
  return (
    <section data-testid="forensic-page" data-state={r.state}>
      <p>
        <Link href={`/cases/${r.case.id}`}>← Case {r.case.reference}</Link>
      </p>
      <h1>Forensic analysis for {r.case.tenantName}</h1>
      <div className="panel">
        <dl className="fields">
          <dt>State</dt>
          <dd>
            <span className={`state-badge ${r.state}`} data-testid="forensic-state">
              {r.state.replace('_', ' ')}
            </span>
          </dd>
          <dt>Progress</dt>
          <dd data-testid="forensic-progress">
            {collected} artifact{collected === 1 ? '' : 's'} collected{planned !== null ? ` of ${planned} planned` : ''}
            {r.artifactsDeletedAt ? ` · deleted ${utc(r.artifactsDeletedAt)}` : ''}
          </dd>
          <dt>Proposed</dt>
          <dd>
            {utc(r.createdAt)} by {r.proposedBy} · the link expires {utc(r.linkExpiresAt)}
          </dd>
          <dt>Purpose</dt>
          <dd>
            <pre className="text-block">{r.purpose}</pre>
          </dd>
          <dt>Terms</dt>
          <dd>
            access {r.accessHours} h after approval · artifacts kept {r.retentionDays} days
          </dd>
          <dt>Proposed scope</dt>
          <dd>
            <pre className="text-block">{r.proposedScopeText}</pre>
          </dd>
          {r.decision && (
            <>
              <dt>Decision</dt>
              <dd data-testid="forensic-decision">
                {r.decision.decision} {utc(r.decision.at)} by {r.decision.name} &lt;{r.decision.email}&gt; from {r.decision.ip ?? 'unknown address'}
                <br />
                <span className="muted">{r.decision.userAgent ?? 'unknown browser'}</span>
                {r.decision.scopeTextShown && (
                  <details>
                    <summary>Text the tenant was shown</summary>
                    <pre className="text-block">{r.decision.scopeTextShown}</pre>
                  </details>
                )}
              </dd>
            </>
          )}
          {r.approvedScopeText && (
            <>
              <dt>Approved scope</dt>
              <dd>
                <pre className="text-block" data-testid="forensic-approved-scope">
                  {r.approvedScopeText}
                </pre>
              </dd>
            </>
          )}
          {r.windowEndsAt && (
            <>
              <dt>Access window</dt>
              <dd>until {utc(r.windowEndsAt)}</dd>
            </>
          )}
          {r.revokedAt && (
            <>
              <dt>Revoked</dt>
              <dd>
                {utc(r.revokedAt)} by {r.revokedBy ?? 'the tenant'}
              </dd>
            </>
          )}
          {r.retentionUntil && (
            <>
              <dt>Kept until</dt>
              <dd>{utc(r.retentionUntil)}</dd>
            </>
          )}
          <WorkflowRow workflowId={r.workflowId} href={r.temporalUiLink} />
        </dl>
      </div>

      <h2>Chain of custody</h2>
      {r.artifacts.length === 0 ? (
        <p className="muted">Nothing collected.</p>
      ) : (
        <table data-testid="forensic-custody">
          <thead>
            <tr>
              <th>Collected</th>
              <th>From</th>
              <th>Kind</th>
              <th>Size</th>
              <th>SHA-256</th>
              <th>By</th>
              <th>Source</th>
            </tr>
          </thead>
          <tbody>
            {r.artifacts.map((a) => (
              <tr key={a.id} data-testid="forensic-artifact">
                <td>{utc(a.collectedAt)}</td>
                <td>
                  {a.deploymentName ?? a.deploymentId} / {a.vmId}
                </td>
                <td>
                  {a.kind}
                  {a.deletedAt ? <div className="muted">deleted {utc(a.deletedAt)}</div> : null}
                </td>
                <td>{a.sizeBytes} B</td>
                <td className="mono">{a.sha256}</td>
                <td>{a.collectedBy}</td>
                <td className="mono">{a.source}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h2>Report</h2>
      {r.reportText ? (
        <>
          <pre className="text-block" data-testid="forensic-report">
            {r.reportText}
          </pre>
          {r.sharedAt ? (
            <p data-testid="forensic-shared">Shared with the tenant {utc(r.sharedAt)}.</p>
          ) : (
            <button type="button" data-testid="forensic-share" disabled={!r.canShare || share.isPending} onClick={() => share.mutate({ id })}>
              Share the report with the tenant
            </button>
          )}
          <FormError error={share.error} />
        </>
      ) : (
        <p className="muted">No report yet.</p>
      )}

      <h2>Timeline</h2>
      <Timeline entries={r.timeline} />
    </section>
  );
}
