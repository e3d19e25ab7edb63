'use client';
// The signed-in person's second factors. Security keys are added with the browser's WebAuthn prompt; the authenticator
// app with a QR code and a confirming code. A new secret and new recovery codes are shown once, here. Changes to
// factors ask for a step-up once there is a factor to check (the server decides; the dialog answers).
import { startRegistration } from '@simplewebauthn/browser';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { inferRouterOutputs } from '@trpc/server';
import { useState, type FormEvent } from 'react';
import { useTRPC } from '../../../lib/trpc';
import type { AppRouter } from '../../../server/root';
import { describeError, useStepUp, type StepUp } from '../../components/step-up';
import '../../components/console.css';
import { utcSecond } from '../../components/utc';

type Outputs = inferRouterOutputs<AppRouter>['mfa'];
type Status = Outputs['status'];

const utc = (d: Date | string | null) => (d ? utcSecond(d) : '—');
const METHOD: Record<NonNullable<Status['stepUp']>['method'], string> = {
  webauthn: 'a security key',
  totp: 'an authenticator code',
  recovery_code: 'a recovery code',
};
const DEVICE: Record<string, string> = { singleDevice: 'this key only', multiDevice: 'synced passkey' };

interface SectionProps {
  status: Status;
  stepUp: StepUp;
  showCodes: (codes: string[]) => void;
  refresh: () => Promise<void>;
}

/** Runs a change through the step-up guard; the error becomes a sentence for the section. */
function useAction(stepUp: StepUp, refresh: () => Promise<void>) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async <T,>(action: () => Promise<T>): Promise<T | undefined> => {
    setError(null);
    setBusy(true);
    try {
      return await stepUp.withStepUp(action);
    } catch (err) {
      setError(describeError(err));
      return undefined;
    } finally {
      setBusy(false);
      await refresh();
    }
  };
  return { run, error, setError, busy };
}

export function SecurityView() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const status = useQuery(trpc.mfa.status.queryOptions());
  const stepUp = useStepUp();
  const [codes, setCodes] = useState<string[] | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.mfa.status.queryKey() });

  if (status.isPending) return <p>Loading…</p>;
  if (status.isError)
    return (
      <p role="alert" className="error">
        {status.error.message}
      </p>
    );
  const props: SectionProps = { status: status.data, stepUp, showCodes: setCodes, refresh };
  return (
    <>
      {stepUp.dialog}
      {codes && <NewRecoveryCodes codes={codes} onDone={() => setCodes(null)} />}
      <StepUpState {...props} />
      <SecurityKeys {...props} />
      <AuthenticatorApp {...props} />
      <RecoveryCodes {...props} />
    </>
  );
}

function StepUpState({ status, stepUp, refresh }: SectionProps) {
  const [busy, setBusy] = useState(false);
  const current = status.stepUp;
  const confirm = async () => {
    setBusy(true);
    try {
      await stepUp.ensureStepUp();
    } finally {
      setBusy(false);
      await refresh();
    }
  };
  return (
    <div className="panel">
      <h2>Confirmation in this session</h2>
      <p data-testid="step-up-state" data-fresh={current?.fresh ? 'yes' : 'no'}>
        {current
          ? `Confirmed with ${METHOD[current.method]} at ${utc(current.at)}; ${current.fresh ? `good for sensitive actions until ${utc(current.freshUntil)}` : 'no longer recent enough for sensitive actions'}.`
          : 'Not confirmed in this session yet.'}
      </p>
      <button type="button" data-testid="step-up-now" disabled={busy} onClick={() => void confirm()}>
        Confirm it’s you
      </button>
    </div>
  );
}

function SecurityKeys({ status, stepUp, showCodes, refresh }: SectionProps) {
  const trpc = useTRPC();
  const options = useMutation(trpc.mfa.webauthnRegistrationOptions.mutationOptions());
  const register = useMutation(trpc.mfa.webauthnRegister.mutationOptions());
  const remove = useMutation(trpc.mfa.webauthnRemove.mutationOptions());
  const { run, error, setError, busy } = useAction(stepUp, refresh);
  const [name, setName] = useState('');

  const add = async (e: FormEvent) => {
    e.preventDefault();
    const trimmed = name.trim();
    if (!trimmed) {
      setError('Name the key, so you can tell your keys apart.');
      return;
    }
    const result = await run(async () => {
      const optionsJSON = await options.mutateAsync();
      const response = await startRegistration({ optionsJSON });
      return register.mutateAsync({ name: trimmed, response });
    });
    if (result) {
      setName('');
      if (result.recoveryCodes) showCodes(result.recoveryCodes);
    }
  };

  const removeKey = (id: string, keyName: string) => {
    if (window.confirm(`Remove the security key "${keyName}"? It will no longer confirm it is you.`)) void run(() => remove.mutateAsync({ id }));
  };

  return (
    <div className="panel">
      <h2>Security keys</h2>
      <table data-testid="webauthn-list">
        <thead>
          <tr>
            <th>Name</th>
            <th>Kind</th>
            <th>Added</th>
            <th>Last used</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {status.credentials.length === 0 && (
            <tr>
              <td colSpan={5} className="muted">
                No security keys yet.
              </td>
            </tr>
          )}
          {status.credentials.map((c) => (
            <tr key={c.id} data-testid="webauthn-credential" data-credential-id={c.id}>
              <td>{c.name}</td>
              <td>{DEVICE[c.deviceType] ?? c.deviceType}</td>
              <td>{utc(c.createdAt)}</td>
              <td>{utc(c.lastUsedAt)}</td>
              <td>
                <button type="button" className="danger" data-testid="webauthn-remove" disabled={busy} onClick={() => removeKey(c.id, c.name)}>
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form className="inline-form" onSubmit={(e) => void add(e)} style={{ marginTop: '1rem' }}>
        <label>
          Name of the new key <input data-testid="webauthn-name" value={name} maxLength={64} placeholder="e.g. blue YubiKey" onChange={(e) => setName(e.target.value)} />
        </label>
        <button type="submit" data-testid="webauthn-add" disabled={busy}>
          {busy ? 'Waiting for your key…' : 'Add security key'}
        </button>
        {error && (
          <p role="alert" className="error" data-testid="webauthn-error">
            {error}
          </p>
        )}
      </form>
    </div>
  );
}

type Enrolment = Outputs['totpBegin'];

function AuthenticatorApp({ status, stepUp, showCodes, refresh }: SectionProps) {
  const trpc = useTRPC();
  const begin = useMutation(trpc.mfa.totpBegin.mutationOptions());
  const confirm = useMutation(trpc.mfa.totpConfirm.mutationOptions());
  const disable = useMutation(trpc.mfa.totpDisable.mutationOptions());
  const { run, error, busy } = useAction(stepUp, refresh);
  const [enrolment, setEnrolment] = useState<Enrolment | null>(null);
  const [code, setCode] = useState('');

  const start = async () => {
    const started = await run(() => begin.mutateAsync());
    if (started) {
      setEnrolment(started);
      setCode('');
    }
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const done = await run(() => confirm.mutateAsync({ code }));
    if (done) {
      setEnrolment(null);
      setCode('');
      if (done.recoveryCodes) showCodes(done.recoveryCodes);
    }
  };
  const turnOff = () => {
    if (window.confirm('Turn off the authenticator app? Its codes will no longer confirm it is you.')) void run(() => disable.mutateAsync());
  };

  return (
    <div className="panel">
      <h2>Authenticator app</h2>
      <p data-testid="totp-state" data-enabled={status.totpEnabled ? 'yes' : 'no'}>
        {status.totpEnabled ? `On since ${utc(status.totpEnabledAt)}.` : 'Off. Use it as a fallback when your security key is not at hand.'}
      </p>
      {!enrolment && (
        <p>
          <button type="button" data-testid="totp-begin" disabled={busy} onClick={() => void start()}>
            {status.totpEnabled ? 'Move to another app or phone' : 'Set up an authenticator app'}
          </button>{' '}
          {status.totpEnabled && (
            <button type="button" className="danger" data-testid="totp-disable" disabled={busy} onClick={turnOff}>
              Turn off
            </button>
          )}
        </p>
      )}
      {enrolment && (
        <form className="inline-form" onSubmit={(e) => void submit(e)}>
          <div style={{ flexBasis: '100%' }}>
            <p>Scan this code with your authenticator app, or type the key in by hand.</p>
            <img data-testid="totp-qr" src={enrolment.qrCode} alt="QR code for your authenticator app" width={220} height={220} />
            <div className="secret">
              Key: <code data-testid="totp-secret">{enrolment.secret}</code>
            </div>
          </div>
          <label>
            Code from the app{' '}
            <input data-testid="totp-code" inputMode="numeric" autoComplete="one-time-code" maxLength={7} value={code} onChange={(e) => setCode(e.target.value)} />
          </label>
          <button type="submit" data-testid="totp-confirm" disabled={busy || code.trim() === ''}>
            Confirm
          </button>
          <button type="button" className="secondary" disabled={busy} onClick={() => setEnrolment(null)}>
            Cancel
          </button>
        </form>
      )}
      {error && (
        <p role="alert" className="error" data-testid="totp-error">
          {error}
        </p>
      )}
    </div>
  );
}

function RecoveryCodes({ status, stepUp, showCodes, refresh }: SectionProps) {
  const trpc = useTRPC();
  const regenerate = useMutation(trpc.mfa.recoveryCodesRegenerate.mutationOptions());
  const { run, error, busy } = useAction(stepUp, refresh);
  const renew = async () => {
    if (!window.confirm('Make new recovery codes? The old ones stop working.')) return;
    const result = await run(() => regenerate.mutateAsync());
    if (result) showCodes(result.recoveryCodes);
  };
  const n = status.recoveryCodesRemaining;
  return (
    <div className="panel">
      <h2>Recovery codes</h2>
      <p data-testid="recovery-remaining" data-count={n}>
        {n === 0 ? 'No unused recovery codes.' : `${n} unused recovery code${n === 1 ? '' : 's'} left.`} Each one confirms it is you once,
        when your key and app are lost.
      </p>
      {status.hasSecondFactor && (
        <button type="button" className="secondary" data-testid="recovery-regenerate" disabled={busy} onClick={() => void renew()}>
          Make new recovery codes
        </button>
      )}
      {error && (
        <p role="alert" className="error" data-testid="recovery-error">
          {error}
        </p>
      )}
    </div>
  );
}

function NewRecoveryCodes({ codes, onDone }: { codes: string[]; onDone: () => void }) {
  return (
    <div className="secret panel" role="status" data-testid="recovery-codes">
      <strong>Your recovery codes.</strong> Save them somewhere safe now (a password manager, or printed): they are not shown
      again, and only their hashes are stored. Each works once.
      <ol className="mono">
        {codes.map((c) => (
          <li key={c} data-testid="recovery-code">
            {c}
          </li>
        ))}
      </ol>
      <button type="button" className="secondary" onClick={onDone}>
        I have saved them
      </button>
    </div>
  );
}
