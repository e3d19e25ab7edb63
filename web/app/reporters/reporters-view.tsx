'use client';
// Reporters and their API keys. A new key is shown once, here, right after it is made; the server keeps only its hash.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { FormError } from '../components/form-error';
import { useTRPC } from '../../lib/trpc';
import { createKeyInput, createReporterInput } from '../../server/case-inputs';
import '../components/console.css';

const when = (d: Date | null) => (d ? new Date(d).toISOString().slice(0, 16).replace('T', ' ') : '—');

export function ReportersView() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const list = useQuery(trpc.reporters.list.queryOptions());
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.reporters.list.queryKey() });
  const revoke = useMutation(trpc.reporters.revokeKey.mutationOptions({ onSuccess: refresh }));

  if (list.isPending) return <p>Loading…</p>;
  if (list.isError) return <p role="alert" className="error">{list.error.message}</p>;
  return (
    <>
      <NewReporter onCreated={refresh} />
      {list.data.length === 0 && <p className="muted">No reporters yet.</p>}
      {list.data.map((r) => (
        <div key={r.id} className="panel" data-testid="reporter" data-reporter-id={r.id}>
          <h2>{r.name}</h2>
          <p className="muted">
            {r.email ?? 'no email'} · {r.reportCount} report{r.reportCount === 1 ? '' : 's'} · outcome emails {r.notifyOutcome ? 'on' : 'off'} · since{' '}
            {when(r.createdAt)}
          </p>
          <table>
            <thead>
              <tr>
                <th>Label</th>
                <th>Prefix</th>
                <th>Created</th>
                <th>Last used</th>
                <th>Status</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {r.keys.length === 0 && (
                <tr>
                  <td colSpan={6}>No keys.</td>
                </tr>
              )}
              {r.keys.map((k) => (
                <tr key={k.id} data-testid="api-key" data-prefix={k.prefix} data-revoked={k.revokedAt ? 'yes' : 'no'}>
                  <td>{k.label}</td>
                  <td className="mono">sgk_{k.prefix}_…</td>
                  <td>
                    {when(k.createdAt)}
                    {k.createdBy ? <div className="muted">by {k.createdBy}</div> : null}
                  </td>
                  <td>{when(k.lastUsedAt)}</td>
                  <td>{k.revokedAt ? `revoked ${when(k.revokedAt)}` : 'active'}</td>
                  <td>
                    {!k.revokedAt && (
                      <button
                        type="button"
                        className="danger"
                        disabled={revoke.isPending}
                        data-testid="api-key-revoke"
                        onClick={() => {
                          if (window.confirm(`Revoke the key "${k.label}"? Reports sent with it will be refused.`)) revoke.mutate({ keyId: k.id });
                        }}
                      >
                        Revoke
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <FormError error={revoke.error} />
          <NewKey reporterId={r.id} onCreated={refresh} />
        </div>
      ))}
    </>
  );
}

function NewReporter({ onCreated }: { onCreated: () => void }) {
  const trpc = useTRPC();
  const create = useMutation(trpc.reporters.create.mutationOptions({ onSuccess: onCreated }));
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [notifyOutcome, setNotifyOutcome] = useState(true);
  const [invalid, setInvalid] = useState<string | null>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const parsed = createReporterInput.safeParse({ name, email, notifyOutcome });
    setInvalid(parsed.success ? null : (parsed.error.issues[0]?.message ?? 'Check the form.'));
    if (!parsed.success) return;
    create.mutate(parsed.data, {
      onSuccess: () => {
        setName('');
        setEmail('');
      },
    });
  };
  return (
    <form className="panel" onSubmit={submit} data-testid="new-reporter">
      <h2>New reporter</h2>
      <label>
        Name <input value={name} onChange={(e) => setName(e.target.value)} data-testid="reporter-name" />
      </label>
      <label>
        Email (for acknowledgements) <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} data-testid="reporter-email" />
      </label>
      <label className="inline">
        <input type="checkbox" checked={notifyOutcome} onChange={(e) => setNotifyOutcome(e.target.checked)} /> Send acknowledgements and outcomes
      </label>
      <div>
        <button type="submit" disabled={create.isPending} data-testid="reporter-create">
          Add reporter
        </button>
      </div>
      {invalid && <p role="alert" className="field-error">{invalid}</p>}
      <FormError error={create.error} />
    </form>
  );
}

function NewKey({ reporterId, onCreated }: { reporterId: string; onCreated: () => void }) {
  const trpc = useTRPC();
  const create = useMutation(trpc.reporters.createKey.mutationOptions({ onSuccess: onCreated }));
  const [label, setLabel] = useState('');
  const [invalid, setInvalid] = useState<string | null>(null);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const parsed = createKeyInput.safeParse({ reporterId, label });
    setInvalid(parsed.success ? null : (parsed.error.issues[0]?.message ?? 'Check the form.'));
    if (parsed.success) create.mutate(parsed.data, { onSuccess: () => setLabel('') });
  };
  return (
    <form onSubmit={submit} className="inline-form" data-testid="new-key">
      <label>
        New key label <input value={label} onChange={(e) => setLabel(e.target.value)} data-testid="key-label" />
      </label>{' '}
      <button type="submit" disabled={create.isPending} data-testid="key-create">
        Create API key
      </button>
      {invalid && <p role="alert" className="field-error">{invalid}</p>}
      <FormError error={create.error} />
      {create.data && (
        <div className="secret" role="status" data-testid="key-created">
          Copy this key now and give it to the reporter. It is not shown again; only its hash is stored.
          <br />
          <code data-testid="key-value">{create.data.key}</code>
        </div>
      )}
    </form>
  );
}
