'use client';
import { useMutation } from '@tanstack/react-query';
import { useRouter } from 'next/navigation';
import { useState, type FormEvent } from 'react';
import { useTRPC } from '../../lib/trpc';
import { SecondFactorChoices, type SecondFactors } from '../components/step-up';

/**
 * Password first; a user with a second factor then passes it before the session is signed in. `pending` is set
 * when this browser already passed the password step (a reload in between). `next` is already checked to be a path
 * on this console (see lib/paths.ts).
 */
export function SignInForm({ next, pending }: { next: string; pending: SecondFactors | null }) {
  const trpc = useTRPC();
  const router = useRouter();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [factors, setFactors] = useState<SecondFactors | null>(pending);
  const done = useMutation(trpc.auth.secondFactorDone.mutationOptions());
  const enter = () => {
    router.push(next);
    router.refresh();
  };
  const signIn = useMutation(
    trpc.auth.signIn.mutationOptions({
      onSuccess: (result) => {
        if (result.secondFactor) setFactors(result.secondFactor);
        else enter();
      },
    }),
  );
  const fieldErrors = signIn.error?.data?.fieldErrors;

  function submit(e: FormEvent) {
    e.preventDefault();
    signIn.mutate({ email, password });
  }

  if (factors) {
    return (
      <div data-testid="signin-second-factor">
        <p>Your password is right. Now confirm it is you with your second factor.</p>
        <SecondFactorChoices factors={factors} onPassed={() => void done.mutateAsync().then(enter)} />
        {done.error && (
          <p role="alert" className="error">
            {done.error.message}
          </p>
        )}
      </div>
    );
  }

  return (
    <form onSubmit={submit} className="form" noValidate>
      <label htmlFor="email">Email</label>
      <input
        id="email"
        data-testid="signin-email"
        type="email"
        autoComplete="username"
        value={email}
        onChange={(e) => setEmail(e.target.value)}
        required
        aria-invalid={fieldErrors?.email ? true : undefined}
        aria-describedby={fieldErrors?.email ? 'email-error' : undefined}
      />
      {fieldErrors?.email && (
        <p id="email-error" className="field-error">
          {fieldErrors.email.join(' ')}
        </p>
      )}
      <label htmlFor="password">Password</label>
      <input
        id="password"
        data-testid="signin-password"
        type="password"
        autoComplete="current-password"
        value={password}
        onChange={(e) => setPassword(e.target.value)}
        required
        aria-invalid={fieldErrors?.password ? true : undefined}
        aria-describedby={fieldErrors?.password ? 'password-error' : undefined}
      />
      {fieldErrors?.password && (
        <p id="password-error" className="field-error">
          {fieldErrors.password.join(' ')}
        </p>
      )}
      {signIn.error && (
        <p role="alert" className="error" data-testid="signin-error">
          {signIn.error.message}
        </p>
      )}
      <button type="submit" data-testid="signin-submit" disabled={signIn.isPending || signIn.isSuccess}>
        {signIn.isPending ? 'Signing in…' : 'Sign in'}
      </button>
    </form>
  );
}
