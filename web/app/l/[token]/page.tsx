// The tenant's Customer Lockbox page (the emailed /l/<token>): no account, the token in the path is the only key.
import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { AccessError } from '../../../../lib/access';
import { loadLockboxView, type LockboxView } from '../../../server/routers/access-consent';
import { LockboxPage } from './lockbox-page';

// The token must not leave through Referer headers or end up in search engines.
export const metadata: Metadata = { title: 'Access to your data · Safeguard', referrer: 'no-referrer', robots: { index: false, follow: false } };
export const dynamic = 'force-dynamic';

const AFTER: Partial<Record<AccessError['code'], string>> = {
  // A used link whose answer is recorded shows that answer instead; this is a use whose answer was not taken.
  used: 'This link works once and has been used, but no answer is recorded with it. Without your consent, no one was given access to your data; reply to the email if you need help.',
  expired: 'The time to answer has passed. Without your consent, no one was given access to your data.',
  revoked: 'This link was withdrawn. Without your consent, no one was given access to your data.',
};

export default async function LockboxConsentPage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  let view: LockboxView;
  try {
    view = await loadLockboxView(token);
  } catch (err) {
    if (!(err instanceof AccessError)) throw err;
    // A token we never issued is a 404; a real link that expired or was withdrawn says so plainly.
    if (err.code === 'unknown' || err.code === 'not-found') notFound();
    return (
      <section className="narrow" data-testid="lockbox-link-problem" data-reason={err.code}>
        <h1>This link cannot be used</h1>
        <p role="alert" className="error">
          {err.message}
        </p>
        <p className="muted">{AFTER[err.code] ?? 'Reply to the email you received if you need help.'}</p>
      </section>
    );
  }
  return <LockboxPage token={token} initial={view} />;
}
