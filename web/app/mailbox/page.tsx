import { requireUser } from '../../lib/session';
import { MailboxView } from './mailbox-view';

export default async function MailboxPage() {
  await requireUser('/mailbox');
  return (
    <section>
      <h1>Mailbox</h1>
      <p className="muted">Messages caught by the mail catcher. Nothing here left the machine.</p>
      <MailboxView />
    </section>
  );
}
