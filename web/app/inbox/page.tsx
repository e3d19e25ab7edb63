import { requireUser } from '../../lib/session';
import { InboxView } from './inbox-view';

export default async function InboxPage() {
  await requireUser('/inbox');
  return (
    <section>
      <h1>Inbox</h1>
      <p className="muted">Reports that could not be parsed, or whose addresses no tenant held at the time. Read them, retry, or assign them by hand.</p>
      <InboxView />
    </section>
  );
}
