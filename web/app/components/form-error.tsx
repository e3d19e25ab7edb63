// A mutation's error under a form: the server's sentence, and each field's message where the input was refused.
import type { TRPCClientErrorLike } from '@trpc/client';
import type { AppRouter } from '../../server/root';

type ClientError = TRPCClientErrorLike<AppRouter> | null;

export function FormError({ error, testId }: { error: ClientError; testId?: string }) {
  if (!error) return null;
  const fields = error.data?.fieldErrors ?? {};
  const lines = Object.entries(fields).flatMap(([field, messages]) => (messages ?? []).map((m) => `${field}: ${m}`));
  return (
    <div role="alert" className="error" data-testid={testId}>
      {error.message}
      {lines.length > 0 && (
        <ul>
          {lines.map((l) => (
            <li key={l}>{l}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
