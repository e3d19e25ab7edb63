import { redirect } from 'next/navigation';
import { currentUser } from '../../lib/session';
import { SignInForm } from './sign-in-form';

export default async function SignInPage() {
  if (await currentUser()) redirect('/');
  return (
    <section className="narrow">
      <h1>Sign in</h1>
      <p>Staff of the security team sign in here. Tenants act through the links in the emails they receive.</p>
      <SignInForm />
    </section>
  );
}
