import Link from 'next/link';
import { requireUser } from '../lib/session';

export default async function Home() {
  const user = await requireUser();
  return (
    <section>
      <h1>Welcome, {user.name}</h1>
      <p>
        You are signed in as <strong>{user.email}</strong> with the <strong data-testid="role">{user.role}</strong> role.
      </p>
      <ul className="cards">
        <li>
          <Link href="/status">System status</Link>
          <p>Temporal, the worker, the database and mail, checked live.</p>
        </li>
        <li>
          <Link href="/mailbox">Mailbox</Link>
          <p>Every message Safeguard sent, as the embedded mail catcher received it.</p>
        </li>
      </ul>
    </section>
  );
}
