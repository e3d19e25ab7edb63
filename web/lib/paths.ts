// Where to go after signing in: only a path on this console, so the sign-in link cannot send anyone elsewhere.

const BASE = 'http://console.invalid';

/** `next` when it is a local path (not `//host`, not `/\host`, not a scheme), else `/`. */
export function safeNextPath(next: unknown): string {
  if (typeof next !== 'string' || !next.startsWith('/') || next.length > 2048) return '/';
  // Browsers read a backslash as a slash and drop tabs and newlines, so `/\evil.example` would leave the site.
  if (/[\\\u0000-\u001f\u007f]/.test(next)) return '/';
  const url = new URL(next, BASE);
  // Dot segments can normalise `/.//evil.example` into the protocol-relative `//evil.example`.
  if (url.origin !== BASE || url.pathname.startsWith('//') || url.pathname === '/signin') return '/';
  return `${url.pathname}${url.search}${url.hash}`;
}

/** The sign-in page, remembering where the visitor was going. */
export function signInPath(returnTo?: string): string {
  const next = safeNextPath(returnTo);
  return next === '/' ? '/signin' : `/signin?next=${encodeURIComponent(next)}`;
}
