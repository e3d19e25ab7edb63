// Per-request context: the signed-in user (from the session cookie) and where to put response headers.
import { db } from '../../lib/db';
import { SESSION_COOKIE, sessionForToken, type SessionUser } from '../../lib/session';
import { clientIp, parseCookies } from './http';

export interface Context {
  user: SessionUser | null;
  /** Signed in with a password, the second factor not yet checked: only that check is allowed. */
  pendingUser?: SessionUser | null;
  sessionToken?: string;
  ip?: string;
  userAgent?: string;
  secure: boolean;
  resHeaders: Headers;
}

export async function createContext({ req, resHeaders }: { req: Request; resHeaders: Headers }): Promise<Context> {
  const token = parseCookies(req.headers.get('cookie'))[SESSION_COOKIE];
  const session = await sessionForToken(db(), token);
  const { secondFactorPending, ...user } = session ?? { secondFactorPending: false };
  return {
    user: session && !secondFactorPending ? (user as SessionUser) : null,
    pendingUser: session && secondFactorPending ? (user as SessionUser) : null,
    sessionToken: token,
    ip: clientIp(req.headers),
    userAgent: req.headers.get('user-agent') ?? undefined,
    secure: new URL(req.url).protocol === 'https:' || req.headers.get('x-forwarded-proto') === 'https',
    resHeaders,
  };
}
