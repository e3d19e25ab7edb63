import type { Metadata } from 'next';
import { confirmationStatus } from '../../../server/routers/public-report';
import { ConfirmReport } from './confirm-report';

export const metadata: Metadata = { title: 'Confirm your report · Safeguard', referrer: 'no-referrer', robots: { index: false, follow: false } };
export const dynamic = 'force-dynamic';

// What to do next for each kind of link that cannot be used: the button is offered only for a link that works.
const NEXT_STEP: Record<string, string> = {
  unknown: 'Open the link from the email exactly as it was sent, or send the report again.',
  used: 'Your report was already confirmed with this link; there is nothing more to do.',
  expired: 'Confirmation links work for 7 days. Send the report again to get a new link.',
  revoked: 'Send the report again to get a new link.',
};

// The link only opens this page; confirming is a button, so a mail scanner that follows links confirms nothing.
// Opening the page checks the link without spending it.
export default async function ConfirmPage({ searchParams }: { searchParams: Promise<{ token?: string | string[] }> }) {
  const { token } = await searchParams;
  if (typeof token !== 'string' || !token) {
    return (
      <section>
        <h1>Confirm your report</h1>
        <p role="alert" className="error" data-testid="confirm-problem">
          This link is not complete. Open the link from the email exactly as it was sent.
        </p>
      </section>
    );
  }
  const status = await confirmationStatus(token);
  return (
    <section>
      <h1>Confirm your report</h1>
      {status.ok ? (
        <ConfirmReport token={token} />
      ) : (
        <div data-testid="confirm-problem" data-reason={status.reason}>
          <p role="alert" className="error">
            {status.message}
          </p>
          <p className="muted">{NEXT_STEP[status.reason] ?? NEXT_STEP.unknown}</p>
        </div>
      )}
    </section>
  );
}
