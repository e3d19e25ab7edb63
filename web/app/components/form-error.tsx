// A mutation's error under a form: the server's sentence. For refused input it already names each bad field in
// words (web/server/trpc.ts, inputErrors), so the internal field names in fieldErrors are never shown.
import type { TRPCClientErrorLike } from '@trpc/client';
import type { AppRouter } from '../../server/root';

type ClientError = TRPCClientErrorLike<AppRouter> | null;

export function FormError({ error, testId }: { error: ClientError; testId?: string }) {
  if (!error) return null;
  return (
    <div role="alert" className="error" data-testid={testId}>
      {error.message}
    </div>
  );
}
