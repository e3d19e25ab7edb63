// Server components: who is signed in, from the session cookie.
import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { db } from '../../lib/db';
import { SESSION_COOKIE, userForToken, type SessionUser } from '../../lib/session';

export async function currentUser(): Promise<SessionUser | null> {
  const token = (await cookies()).get(SESSION_COOKIE)?.value;
  return userForToken(db(), token);
}

/** The signed-in user, or a redirect to the sign-in page. */
export async function requireUser(): Promise<SessionUser> {
  const user = await currentUser();
  if (!user) redirect('/signin');
  return user;
}
