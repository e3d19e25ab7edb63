// The tenant's case page (the emailed /t/<token> leads here): no account, the token in the path is the only key.
import type { Metadata } from 'next';
import { notFound } from 'next/navigation';
import { loadTenantCase } from '../../../../server/routers/tenant';
import { TenantCase } from './tenant-case';

// The token must not leave through Referer headers or end up in search engines.
export const metadata: Metadata = { title: 'Abuse case · Safeguard', referrer: 'no-referrer', robots: { index: false, follow: false } };
export const dynamic = 'force-dynamic';

export default async function TenantCasePage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const loaded = await loadTenantCase(token);
  if (!loaded.ok) {
    // A token we never issued is a 404; a real link that expired or was withdrawn says so plainly.
    if (loaded.error === 'unknown') notFound();
    return (
      <section className="narrow" data-testid="tenant-link-problem" data-reason={loaded.error}>
        <h1>This link cannot be used</h1>
        <p role="alert" className="error">
          {loaded.message}
        </p>
        <p className="muted">Ask the abuse desk for a new link by replying to the email you received. Nothing about your case has changed.</p>
      </section>
    );
  }
  return <TenantCase token={token} initial={loaded.view} />;
}
