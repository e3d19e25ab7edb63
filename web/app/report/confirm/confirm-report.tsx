'use client';
import { useMutation } from '@tanstack/react-query';
import { useTRPC } from '../../../lib/trpc';

export function ConfirmReport({ token }: { token: string }) {
  const trpc = useTRPC();
  const confirm = useMutation(trpc.publicReport.confirm.mutationOptions());
  if (confirm.isSuccess) {
    return (
      <p className="notice" role="status" data-testid="confirm-done">
        Thank you. Your report is confirmed and is being processed. We will let you know when the case is closed.
      </p>
    );
  }
  return (
    <>
      <p>Confirm that you sent this report, so that our abuse desk can act on it.</p>
      <button type="button" onClick={() => confirm.mutate({ token })} disabled={confirm.isPending} data-testid="confirm-submit">
        Confirm my report
      </button>
      {confirm.isError && (
        <p role="alert" className="error" data-testid="confirm-problem">
          {confirm.error.message}
        </p>
      )}
    </>
  );
}
