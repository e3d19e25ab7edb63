// Small request helpers for the tRPC route: cookies, client address, same-origin checks.

export function parseCookies(header: string | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    const name = part.slice(0, i).trim();
    if (name && !(name in out)) out[name] = decodeURIComponent(part.slice(i + 1).trim());
  }
  return out;
}

/**
 * The client address as the nearest hop saw it: the last X-Forwarded-For entry. Earlier entries are whatever the
 * client sent (Next.js only fills the header when it is absent), so they cannot key a rate limit.
 */
export function clientIp(headers: Headers): string | undefined {
  const hops = (headers.get('x-forwarded-for') ?? '').split(',').map((h) => h.trim()).filter(Boolean);
  return hops.at(-1) || headers.get('x-real-ip') || undefined;
}

/**
 * CSRF defence in depth (the session cookie is already SameSite=Strict): a state-changing request must be JSON
 * and, when the browser names its origin, come from this console's own origin.
 */
export function csrfRejection(req: { method: string; headers: Headers; url: string }, allowedOrigins: string[]): string | null {
  if (req.method === 'GET' || req.method === 'HEAD') return null;
  const contentType = req.headers.get('content-type') ?? '';
  if (!contentType.toLowerCase().startsWith('application/json')) return 'State-changing requests must be sent as application/json.';
  const origin = req.headers.get('origin');
  if (origin === null) return null;
  const host = req.headers.get('host');
  const own = host ? [`http://${host}`, `https://${host}`] : [];
  if (![...own, ...allowedOrigins].includes(origin)) return `Cross-origin request from ${origin} refused.`;
  return null;
}

/** Reads the body, stopping as soon as it passes `max` bytes (a missing or false Content-Length cannot get past). */
export async function readLimited(req: Request, max: number): Promise<Uint8Array | 'too-large'> {
  if (!req.body) return new Uint8Array();
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      return 'too-large';
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const c of chunks) {
    body.set(c, offset);
    offset += c.byteLength;
  }
  return body;
}
