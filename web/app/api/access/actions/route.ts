// POST /api/access/actions: an infrastructure tool reports what it does under a just-in-time grant, with the grant's
// tool token (`Authorization: Bearer <token>`, issued once in the console) and a JSON body {action, target?, detail?}.
// Recorded as the grant holder's action (source "api") while the grant is active: 201 {id}. Refusals are JSON with a
// message: 400 (body), 401 (token), 403 (grant ended), 413 (over 16 KiB), 415 (not JSON).
import { z } from 'zod';
import { AccessError, grantForToolToken, recordGrantAction } from '../../../../../lib/access';
import { bearerToken } from '../../../../../lib/api-keys';
import { db } from '../../../../../lib/db';
import { childLogger } from '../../../../../lib/log';
import { readLimited } from '../../../../server/http';

export const dynamic = 'force-dynamic';

const log = childLogger('access-actions-api');

const MAX_ACTION_BYTES = 16 * 1024;

const jsonValue: z.ZodType<unknown> = z.json();

const grantActionBody = z.strictObject({
  action: z.string().trim().min(1, 'name the action').max(200, 'keep the action under 200 characters'),
  target: z.string().trim().min(1).max(500, 'keep the target under 500 characters').optional(),
  detail: jsonValue.optional(),
});

function problem(status: number, error: string, message: string, headers: Record<string, string> = {}): Response {
  return Response.json({ error, message }, { status, headers: { 'cache-control': 'no-store', ...headers } });
}

const tooLarge = () => problem(413, 'too_large', `the body is larger than the ${MAX_ACTION_BYTES} bytes accepted; send less detail`);


const STATUS: Partial<Record<AccessError['code'], number>> = { unknown: 401, forbidden: 403, 'bad-request': 400, 'not-found': 401 };

function refusal(err: AccessError): Response {
  const status = STATUS[err.code] ?? 409;
  const headers: Record<string, string> = status === 401 ? { 'www-authenticate': 'Bearer realm="safeguard-access", error="invalid_token"' } : {};
  return problem(status, status === 401 ? 'invalid_token' : status === 403 ? 'grant_ended' : 'refused', err.message, headers);
}

export async function POST(req: Request): Promise<Response> {
  const database = db();
  const token = bearerToken(req.headers.get('authorization'));
  if (!token) return problem(401, 'invalid_token', 'send the grant’s tool token as "Authorization: Bearer <token>"', { 'www-authenticate': 'Bearer realm="safeguard-access"' });
  let grant: Awaited<ReturnType<typeof grantForToolToken>>;
  try {
    grant = await grantForToolToken(database, token);
  } catch (err) {
    if (err instanceof AccessError) return refusal(err);
    throw err;
  }

  const mediaType = (req.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (mediaType !== 'application/json') {
    return problem(415, 'unsupported_media_type', `${mediaType ? `content type ${mediaType} is not accepted` : 'the request has no content type'}; send application/json`, { accept: 'application/json' });
  }
  const declared = Number(req.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > MAX_ACTION_BYTES) return tooLarge();
  const bytes = await readLimited(req, MAX_ACTION_BYTES);
  if (bytes === 'too-large') return tooLarge();
  const text = Buffer.from(bytes).toString('utf8');

  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    return problem(400, 'invalid_json', `the body is not valid JSON: ${(err as Error).message}`);
  }
  const parsed = grantActionBody.safeParse(body);
  if (!parsed.success) {
    return problem(400, 'invalid_body', parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
  }

  try {
    const row = await recordGrantAction(database, {
      grantId: grant.id,
      actorId: grant.request.requesterId,
      source: 'api',
      action: parsed.data.action,
      ...(parsed.data.target !== undefined ? { target: parsed.data.target } : {}),
      ...(parsed.data.detail !== undefined ? { detail: parsed.data.detail as never } : {}),
    });
    return Response.json({ id: row.id }, { status: 201, headers: { 'cache-control': 'no-store' } });
  } catch (err) {
    if (err instanceof AccessError) return refusal(err);
    log.error({ err }, 'recording a grant action failed');
    return problem(503, 'unavailable', 'the action could not be recorded; nothing was kept. Try again.', { 'retry-after': '5' });
  }
}
