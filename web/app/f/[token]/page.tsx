// The tenant's consent page (the emailed /f/<token>): no account, the token in the path is the only key.
import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { ForensicsError } from '../../../../lib/forensics';
import { loadConsentView, type ConsentView } from '../../../server/routers/forensic-consent';
import { ConsentPage } from './consent-page';

// The token must not leave through Referer headers or end up in search engines.
export const metadata: Metadata = { title: 'Consent to a forensic analysis · Safeguard', referrer: 'no-referrer', robots: { index: false, follow: false } };
export const dynamic = 'force-dynamic';

export default async function ForensicConsentPage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  let view: ConsentView;
  try {
    view = await loadConsentView(token);
  } catch (err) {
    if (!(err instanceof ForensicsError)) throw err;
    // A token we never issued is a 404; a real link that expired or was withdrawn says so plainly.
    if (err.code === 'unknown' || err.code === 'not-found') notFound();
    return (
      <section className="narrow" data-testid="consent-link-problem" data-reason={err.code}>
        <h1>This link cannot be used</h1>
        <p role="alert" className="error">
          {err.message}
        </p>
        <p className="muted">Nothing has been collected on the strength of this link. Reply to the email you received if you need a new one.</p>
      </section>
    );
  }
  return <ConsentPage token={token} initial={view} />;
}
