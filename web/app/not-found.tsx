// Shown (with HTTP 404) for an address the console does not have, or a record id that is not one (/cases/nope).
import Link from 'next/link';

export default function NotFound() {
  return (
    <section className="narrow" data-testid="not-found">
      <h1>There is no such page</h1>
      <p role="alert" className="error">
        Nothing is at this address. Check that it was copied completely, or start again from the home page.
      </p>
      <p>
        <Link href="/">Go to the home page</Link>
      </p>
    </section>
  );
}
