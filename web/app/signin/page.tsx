import { redirect } from 'next/navigation';
import { safeNextPath } from '../../lib/paths';
import { currentUser, pendingSecondFactors } from '../../lib/session';
import { SignInForm } from './sign-in-form';

export default async function SignInPage({ searchParams }: { searchParams: Promise<{ next?: string | string[] }> }) {
  const next = safeNextPath((await searchParams).next);
  if (await currentUser()) redirect(next);
  const pending = await pendingSecondFactors();
  return (
    <section className="narrow">
      <h1>Sign in</h1>
      <p>Staff of the security team sign in here. Tenants act through the links in the emails they receive.</p>
      <SignInForm next={next} pending={pending} />
    </section>
  );
}
