'use client';
// The step-up dialog: before a sensitive action, the person confirms it is them with a security key, an
// authenticator code or a recovery code. `ensureStepUp()` resolves true at once while this session's last check is
// fresh; otherwise it opens the dialog and resolves when the check passes (true) or the person cancels (false).
import { startAuthentication, WebAuthnError } from '@simplewebauthn/browser';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { TRPCClientError } from '@trpc/client';
import Link from 'next/link';
import { useCallback, useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { useTRPC } from '../../lib/trpc';

/** True for the server's "step-up needed" refusal (PRECONDITION_FAILED from stepUpProcedure). */
export function isStepUpRequired(error: unknown): boolean {
  return error instanceof TRPCClientError && (error.data as { code?: string } | undefined)?.code === 'PRECONDITION_FAILED';
}

/** A sentence for a failed server call (with its field messages) or WebAuthn ceremony. */
export function describeError(error: unknown): string {
  if (error instanceof TRPCClientError) {
    const fields = (error.data as { fieldErrors?: Record<string, string[] | undefined> } | undefined)?.fieldErrors ?? {};
    const details = Object.values(fields).flatMap((m) => m ?? []);
    return details.length > 0 ? details.join(' ') : error.message;
  }
  const name = error instanceof WebAuthnError ? (error.cause as Error | undefined)?.name ?? error.name : (error as Error | undefined)?.name;
  if (error instanceof WebAuthnError && error.code === 'ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED') return 'This security key is already registered.';
  if (name === 'NotAllowedError' || name === 'AbortError') return 'The security key prompt was cancelled or timed out.';
  if (name === 'InvalidStateError') return 'This security key is already registered.';
  return (error as Error | undefined)?.message ?? 'The security key could not be used.';
}

export interface StepUp {
  /** True when this session has a fresh step-up, after the dialog if needed; false if the person cancels. */
  ensureStepUp(): Promise<boolean>;
  /**
   * Runs `action`; if the server answers "step-up needed" (the check went stale meanwhile), asks for one and runs it
   * once more. Undefined when the person cancels.
   */
  withStepUp<T>(action: () => Promise<T>): Promise<T | undefined>;
  /** Render this once in the page. */
  dialog: ReactNode;
}

export function useStepUp(): StepUp {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const resolver = useRef<((ok: boolean) => void) | null>(null);
  const inFlight = useRef<Promise<boolean> | null>(null);

  const ensureStepUp = useCallback((): Promise<boolean> => {
    // Two buttons pressed at once share one dialog.
    inFlight.current ??= (async () => {
      try {
        const status = await queryClient.fetchQuery({ ...trpc.mfa.status.queryOptions(), staleTime: 0 });
        if (status.stepUp?.fresh) return true;
        return await new Promise<boolean>((resolve) => {
          resolver.current = resolve;
          setOpen(true);
        });
      } finally {
        inFlight.current = null;
      }
    })();
    return inFlight.current;
  }, [queryClient, trpc]);

  const finish = useCallback(
    (ok: boolean) => {
      setOpen(false);
      resolver.current?.(ok);
      resolver.current = null;
      void queryClient.invalidateQueries({ queryKey: trpc.mfa.status.queryKey() });
    },
    [queryClient, trpc],
  );

  const withStepUp = useCallback(
    async <T,>(action: () => Promise<T>): Promise<T | undefined> => {
      try {
        return await action();
      } catch (err) {
        if (!isStepUpRequired(err)) throw err;
        if (!(await ensureStepUp())) return undefined;
        return action();
      }
    },
    [ensureStepUp],
  );

  return { ensureStepUp, withStepUp, dialog: open ? <StepUpDialog onDone={finish} /> : null };
}

function StepUpDialog({ onDone }: { onDone: (ok: boolean) => void }) {
  const trpc = useTRPC();
  const ref = useRef<HTMLDialogElement>(null);
  const status = useQuery(trpc.mfa.status.queryOptions());

  useEffect(() => {
    const dialog = ref.current;
    if (dialog && !dialog.open) dialog.showModal();
    return () => dialog?.close();
  }, []);

  const s = status.data;
  const minutes = s ? Math.max(1, Math.round(s.stepUpMaxAgeSeconds / 60)) : null;
  return (
    <dialog
      ref={ref}
      aria-labelledby="step-up-title"
      data-testid="step-up-dialog"
      style={{ maxWidth: '30rem', width: '100%', border: '1px solid var(--line)', borderRadius: 6, padding: '1.25rem' }}
      onCancel={(e) => {
        e.preventDefault();
        onDone(false);
      }}
    >
      <h2 id="step-up-title" style={{ marginTop: 0 }}>
        Confirm it’s you
      </h2>
      {status.isPending && <p>Loading…</p>}
      {status.isError && (
        <p role="alert" className="error">
          {status.error.message}
        </p>
      )}
      {s && !s.hasSecondFactor && (
        <p data-testid="step-up-no-factor">
          This needs a second factor, and your account has none yet. Add a security key or an authenticator app on your{' '}
          <Link href="/account/security">Security page</Link> first.
        </p>
      )}
      {s?.hasSecondFactor && (
        <>
          <p className="muted" style={{ marginTop: 0 }}>
            This action needs a recent second-factor check; it stays valid for {minutes} minute{minutes === 1 ? '' : 's'}.
          </p>
          <SecondFactorChoices
            factors={{ securityKeys: s.credentials.length > 0, totp: s.totpEnabled, recoveryCodesRemaining: s.recoveryCodesRemaining }}
            onPassed={() => onDone(true)}
          />
        </>
      )}
      <div style={{ marginTop: '1rem' }}>
        <button type="button" className="secondary" data-testid="step-up-cancel" onClick={() => onDone(false)}>
          Cancel
        </button>
      </div>
    </dialog>
  );
}

export interface SecondFactors {
  securityKeys: boolean;
  totp: boolean;
  recoveryCodesRemaining: number;
}

/**
 * The ways to pass a second-factor check: a security key, an authenticator code, a recovery code. Used by the
 * step-up dialog and by the second step of signing in (where the session is not yet signed in).
 */
export function SecondFactorChoices({ factors, onPassed }: { factors: SecondFactors; onPassed: () => void }) {
  const trpc = useTRPC();
  const options = useMutation(trpc.mfa.stepUpOptions.mutationOptions());
  const stepUp = useMutation(trpc.mfa.stepUp.mutationOptions());
  const [error, setError] = useState<string | null>(null);
  const [keyBusy, setKeyBusy] = useState(false);
  const [code, setCode] = useState('');
  const [recoveryCode, setRecoveryCode] = useState('');
  const busy = keyBusy || stepUp.isPending;

  const submit = async (input: Parameters<typeof stepUp.mutateAsync>[0]) => {
    setError(null);
    try {
      await stepUp.mutateAsync(input);
      onPassed();
    } catch (err) {
      setError(describeError(err));
    }
  };

  const confirmWithKey = async () => {
    setError(null);
    setKeyBusy(true);
    try {
      const optionsJSON = await options.mutateAsync();
      if (!optionsJSON) {
        setError('You have no security key registered.');
        return;
      }
      const response = await startAuthentication({ optionsJSON });
      await submit({ method: 'webauthn', response });
    } catch (err) {
      setError(describeError(err));
    } finally {
      setKeyBusy(false);
    }
  };

  const onCode = (e: FormEvent) => {
    e.preventDefault();
    void submit({ method: 'totp', code });
  };
  const onRecovery = (e: FormEvent) => {
    e.preventDefault();
    void submit({ method: 'recovery_code', code: recoveryCode });
  };

  return (
    <div style={{ display: 'grid', gap: '1rem' }}>
      {factors.securityKeys && (
        <div>
          <button type="button" data-testid="step-up-webauthn" disabled={busy} onClick={() => void confirmWithKey()}>
            {keyBusy ? 'Waiting for your security key…' : 'Use security key'}
          </button>
        </div>
      )}
      {factors.totp && (
        <form onSubmit={onCode} style={{ display: 'flex', gap: '0.5rem', alignItems: 'end', flexWrap: 'wrap' }}>
          <label style={{ display: 'grid', gap: '0.2rem' }}>
            Use authenticator code
            <input
              data-testid="step-up-totp-code"
              inputMode="numeric"
              autoComplete="one-time-code"
              maxLength={7}
              value={code}
              onChange={(e) => setCode(e.target.value)}
              style={{ font: 'inherit', padding: '0.4rem' }}
            />
          </label>
          <button type="submit" data-testid="step-up-totp-submit" disabled={busy || code.trim() === ''}>
            Confirm
          </button>
        </form>
      )}
      <form onSubmit={onRecovery} style={{ display: 'flex', gap: '0.5rem', alignItems: 'end', flexWrap: 'wrap' }}>
        <label style={{ display: 'grid', gap: '0.2rem' }}>
          Use a recovery code <span className="muted">({factors.recoveryCodesRemaining} left; each works once)</span>
          <input
            data-testid="step-up-recovery-code"
            autoComplete="off"
            maxLength={64}
            placeholder="xxxx-xxxx-xxxx"
            value={recoveryCode}
            onChange={(e) => setRecoveryCode(e.target.value)}
            style={{ font: 'inherit', padding: '0.4rem' }}
          />
        </label>
        <button type="submit" className="secondary" data-testid="step-up-recovery-submit" disabled={busy || recoveryCode.trim() === ''}>
          Use code
        </button>
      </form>
      {error && (
        <p role="alert" className="error" data-testid="step-up-error">
          {error}
        </p>
      )}
    </div>
  );
}
