import type { Metadata } from 'next';
import { ConfirmReport } from './confirm-report';

export const metadata: Metadata = { title: 'Confirm your report · Safeguard', referrer: 'no-referrer' };

// The link only opens this page; confirming is a button, so a mail scanner that follows links confirms nothing.
export default async function ConfirmPage({ searchParams }: { searchParams: Promise<{ token?: string | string[] }> }) {
  const { token } = await searchParams;
  return (
    <section>
      <h1>Confirm your report</h1>
      {typeof token === 'string' && token ? (
        <ConfirmReport token={token} />
      ) : (
        <p role="alert" className="error" data-testid="confirm-problem">
          This link is not complete. Open the link from the email exactly as it was sent.
        </p>
      )}
    </section>
  );
}
