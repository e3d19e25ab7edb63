import Link from 'next/link';
import { requireUser } from '../../lib/session';
import { AccessLists, type AccessTab } from './access-lists';

export const dynamic = 'force-dynamic';

const TABS: AccessTab[] = ['mine', 'waiting', 'active', 'history'];

export default async function AccessPage({ searchParams }: { searchParams: Promise<{ tab?: string | string[] }> }) {
  const user = await requireUser('/access');
  const asked = (await searchParams).tab;
  const tab = TABS.find((t) => t === asked) ?? (user.role === 'analyst' ? 'mine' : 'waiting');
  return (
    <section>
      <h1>Just-in-time access</h1>
      <p>
        <Link href="/access/new" data-testid="access-new-link">
          Request access
        </Link>{' '}
        <span className="muted">· every request needs approvers other than you; asking and approving need your second factor.</span>
      </p>
      <AccessLists initialTab={tab} canApprove={user.role !== 'analyst'} />
    </section>
  );
}
