'use client';
// One tenant: contacts and time zone, each deployment with its current addresses and allocation history, the provider's
// suspensions and restores with their case, then its cases (open first), detections and access requests.
// Everything here but the ids is the tenant's or a reporter's text: shown as text only.
import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import '../../components/console.css';
import { useTRPC } from '../../../lib/trpc';
import { CASE_STATE_LABELS } from '../../../server/case-actions';
import { heldWindow, utc } from '../when';

/** "12 shown of 40" when a list was cut at the server's limit. */
const more = (shown: number, total: number) => (total > shown ? ` (the latest ${shown} of ${total})` : '');

export function TenantView({ tenantId }: { tenantId: string }) {
  const trpc = useTRPC();
  const query = useQuery(trpc.tenants.get.queryOptions({ tenantId }));

  if (query.isPending) return <p>Loading…</p>;
  if (query.isError)
    return (
      <p role="alert" className="error" data-testid="tenant-error">
        {query.error.message}
      </p>
    );
  const { tenant, deployments, providerActions, cases, detections, accessRequests } = query.data;
  const deploymentName = new Map(deployments.items.map((d) => [d.id, d.name]));
  const nameOf = (id: string | null) => (id ? (deploymentName.get(id) ?? id) : '—');

  return (
    <section data-testid="tenant-page" data-tenant-id={tenant.id}>
      <p>
        <Link href="/tenants">← All tenants</Link>
      </p>
      <h1 data-testid="tenant-name">{tenant.name}</h1>
      <div className="panel">
        <dl className="fields">
          <dt>Slug</dt>
          <dd className="mono">{tenant.slug}</dd>
          <dt>Security contact</dt>
          <dd data-testid="tenant-security-contact">
            {tenant.securityContactEmail ? `${tenant.securityContactName ?? ''} <${tenant.securityContactEmail}>`.trim() : 'none; notices go to the owner'}
          </dd>
          <dt>Owner</dt>
          <dd data-testid="tenant-owner">{`${tenant.ownerName} <${tenant.ownerEmail}>`}</dd>
          <dt>Time zone</dt>
          <dd data-testid="tenant-time-zone">{tenant.timeZone}</dd>
          <dt>Customer since</dt>
          <dd>{utc(tenant.createdAt)}</dd>
        </dl>
      </div>

      <h2>Deployments{more(deployments.items.length, deployments.total)}</h2>
      {deployments.allocationTotal > deployments.allocationsShown && (
        <p className="muted">
          Only the latest {deployments.allocationsShown} of {deployments.allocationTotal} allocations are shown; look an address up on the tenants page for the rest.
        </p>
      )}
      {deployments.items.length === 0 && <p className="muted">No deployments.</p>}
      {deployments.items.map((d) => (
        <div key={d.id} className="panel" data-testid="deployment" data-deployment-id={d.id} data-state={d.state}>
          <h3>
            {d.name} <span className={`state-badge ${d.state}`}>{d.state}</span>
          </h3>
          <p className="muted">
            subscription {d.subscription.name} · {d.state} since {utc(d.stateChangedAt)} · <span className="mono">{d.id}</span>
          </p>
          <p>
            Current addresses:{' '}
            <span className="mono" data-testid="deployment-current">
              {d.current.length ? d.current.join(', ') : 'none'}
            </span>
          </p>
          {d.allocations.length > 0 && (
            <table>
              <thead>
                <tr>
                  <th>Network</th>
                  <th>Held</th>
                  <th>Host group</th>
                </tr>
              </thead>
              <tbody>
                {d.allocations.map((a) => (
                  <tr key={a.id} data-testid="allocation" data-cidr={a.cidr} data-current={a.current ? 'yes' : 'no'}>
                    <td className="mono">{a.cidr}</td>
                    <td>{heldWindow(a.validFrom, a.validTo)}</td>
                    <td>{a.hostGroup ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </div>
      ))}

      <h2>Suspensions and restores</h2>
      {providerActions.length === 0 ? (
        <p className="muted">The provider was never asked to suspend or restore a deployment of this tenant.</p>
      ) : (
        <table data-testid="provider-actions">
          <thead>
            <tr>
              <th>Requested</th>
              <th>Action</th>
              <th>Deployment</th>
              <th>Provider</th>
              <th>Completed</th>
              <th>Case</th>
            </tr>
          </thead>
          <tbody>
            {providerActions.map((a) => (
              <tr key={a.id} data-testid="provider-action" data-kind={a.kind}>
                <td>{utc(a.requestedAt)}</td>
                <td>{a.kind}</td>
                <td>{nameOf(a.deploymentId)}</td>
                <td>{a.provider}</td>
                <td>{a.completedAt ? utc(a.completedAt) : 'not yet'}</td>
                <td>{a.case ? <Link href={`/cases/${a.case.id}`}>{`${a.case.reference} · ${a.case.categoryLabel}`}</Link> : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h2>
        Cases: {cases.open} open of {cases.total}
      </h2>
      {cases.items.length === 0 ? (
        <p className="muted">No cases.</p>
      ) : (
        <table data-testid="tenant-cases">
          <thead>
            <tr>
              <th>Case</th>
              <th>State</th>
              <th>Severity</th>
              <th>Deployment</th>
              <th>Opened</th>
              <th>Deadline</th>
            </tr>
          </thead>
          <tbody>
            {cases.items.map((c) => (
              <tr key={c.id} data-testid="tenant-case" data-case-id={c.id} data-state={c.state}>
                <td>
                  <Link href={`/cases/${c.id}`}>{`${c.reference} · ${c.categoryLabel}`}</Link>
                </td>
                <td>
                  <span className={`state-badge ${c.state}`}>{CASE_STATE_LABELS[c.state]}</span>
                </td>
                <td>{c.severity ?? '—'}</td>
                <td>{nameOf(c.deploymentId)}</td>
                <td>{utc(c.openedAt)}</td>
                <td>{c.deadlineAt ? utc(c.deadlineAt) : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h2>Detections{more(detections.items.length, detections.total)}</h2>
      {detections.items.length === 0 ? (
        <p className="muted">No detector finding was attributed to its deployments.</p>
      ) : (
        <table data-testid="tenant-detections">
          <thead>
            <tr>
              <th>Received</th>
              <th>Category</th>
              <th>Source</th>
              <th>Deployment</th>
            </tr>
          </thead>
          <tbody>
            {detections.items.map((f) => (
              <tr key={f.id} data-testid="tenant-detection">
                <td>
                  <Link href={`/detections/${f.id}`}>{utc(f.receivedAt)}</Link>
                </td>
                <td>{f.category ?? '—'}</td>
                <td className="mono">{f.sourceIps.join(', ') || '—'}</td>
                <td>{nameOf(f.deploymentId)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h2>Access requests{more(accessRequests.items.length, accessRequests.total)}</h2>
      {accessRequests.items.length === 0 ? (
        <p className="muted">Nobody asked for access to its deployments.</p>
      ) : (
        <table data-testid="tenant-access">
          <thead>
            <tr>
              <th>Requested</th>
              <th>By</th>
              <th>Level</th>
              <th>State</th>
              <th>Deployment</th>
            </tr>
          </thead>
          <tbody>
            {accessRequests.items.map((a) => (
              <tr key={a.id} data-testid="tenant-access-request">
                <td>
                  <Link href={`/access/${a.id}`}>{utc(a.createdAt)}</Link>
                </td>
                <td>{a.requester.name}</td>
                <td>
                  {a.level}
                  {a.customerData ? ' · customer data' : ''}
                </td>
                <td>{a.state}</td>
                <td>{nameOf(a.deploymentId)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
