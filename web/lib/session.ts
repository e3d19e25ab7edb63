// Server components: who is signed in, from the session cookie.
import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import { cache } from 'react';
import { db } from '../../lib/db';
import { SESSION_COOKIE, sessionForToken, userForToken, type SessionUser } from '../../lib/session';
import { secondFactorsOf } from '../../lib/mfa';
import { signInPath } from './paths';

/** Read once per request: the layout and the page both ask. */
export const currentUser = cache(async (): Promise<SessionUser | null> => {
  const token = (await cookies()).get(SESSION_COOKIE)?.value;
  return userForToken(db(), token);
});

/** The signed-in user, or a redirect to the sign-in page that comes back to `returnTo`. */
export async function requireUser(returnTo?: string): Promise<SessionUser> {
  const user = await currentUser();
  if (!user) redirect(signInPath(returnTo));
  return user;
}

/** The second factors to offer when this browser passed the password step and the second one is still due. */
export async function pendingSecondFactors() {
  const session = await sessionForToken(db(), (await cookies()).get(SESSION_COOKIE)?.value);
  return session?.secondFactorPending ? secondFactorsOf(db(), session.id) : null;
}
