// POST /api/reports: abuse reports from reporters with an API key. X-ARF JSON or a whole mail (message/rfc822).
// Everything authenticated and within the size limit is stored, even if it does not parse (a person looks at it);
// the answer is 202 with the report id. Bad requests get a JSON error: 401, 413, 415, 503.
import { verifyApiKey, bearerToken } from '../../../../lib/api-keys';
import { config } from '../../../../lib/config';
import { db } from '../../../../lib/db';
import { storeReport } from '../../../../lib/intake';
import { childLogger } from '../../../../lib/log';
import { getTemporalClient } from '../../../../lib/temporal';
import { readLimited } from '../../../server/http';

export const dynamic = 'force-dynamic';

const log = childLogger('reports-api');

const ACCEPTED_TYPES = ['application/json', 'message/rfc822'] as const;

// no-transform: Next.js would otherwise gzip each small answer, which costs more CPU than the bytes it saves.
const NO_CACHE = { 'cache-control': 'no-store, no-transform' };

function problem(status: number, error: string, message: string, headers: Record<string, string> = {}): Response {
  return Response.json({ error, message }, { status, headers: { ...NO_CACHE, ...headers } });
}

/** Why a stored report could not be parsed, for the sender: it is kept for a person either way. */
function parseNotice(intake: { outcome: string; error?: string }): string | undefined {
  return intake.outcome === 'parse_failed' ? `the report could not be parsed (${intake.error ?? 'unknown format'}); it is kept and will be reviewed by a person` : undefined;
}

const tooLarge = (max: number) => problem(413, 'too_large', `the report is larger than the ${max} bytes accepted; leave out large samples or attachments, or split it into several reports`);


export async function POST(req: Request): Promise<Response> {
  const database = db();
  const key = await verifyApiKey(database, bearerToken(req.headers.get('authorization')));
  if (!key.ok) return problem(401, `api_key_${key.reason}`, key.message, { 'www-authenticate': 'Bearer realm="safeguard-reports"' });

  const contentType = req.headers.get('content-type') ?? '';
  const mediaType = contentType.split(';')[0]!.trim().toLowerCase();
  if (!(ACCEPTED_TYPES as readonly string[]).includes(mediaType)) {
    const what = mediaType ? `content type ${mediaType} is not accepted` : 'the request has no content type';
    return problem(415, 'unsupported_media_type', `${what}; send application/json (X-ARF) or message/rfc822 (a whole mail)`, { accept: ACCEPTED_TYPES.join(', ') });
  }

  const max = config().REPORT_MAX_BYTES;
  const declared = Number(req.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > max) return tooLarge(max);
  const body = await readLimited(req, max);
  if (body === 'too-large') return tooLarge(max);
  if (body.byteLength === 0) return problem(400, 'empty', 'the request body is empty; send the report as the body');

  // Stored whatever it is; a quick look says now what the parser will record on the report later.
  let notice: string | undefined;
  if (mediaType === 'application/json') {
    try {
      JSON.parse(new TextDecoder().decode(body));
    } catch (err) {
      notice = `the body is not valid JSON (${(err as Error).message}); it is kept and will be reviewed by a person`;
    }
  }

  try {
    const stored = await storeReport(
      database,
      getTemporalClient,
      { raw: body, channel: 'api', contentType, reporterId: key.reporterId },
      { actor: { type: 'api_key', id: key.keyId } },
    );
    const told = notice ?? parseNotice(stored.intake);
    return Response.json(
      {
        reportId: stored.reportId,
        duplicate: stored.duplicate,
        submissionCount: stored.submissionCount,
        status: 'accepted',
        // routed, unattributed, parse_failed (a person looks at it), or queued (finished later, nothing is lost)
        intake: stored.intake.outcome,
        ...(told ? { notice: told } : {}),
      },
      { status: 202, headers: NO_CACHE },
    );
  } catch (err) {
    log.error({ err }, 'storing a report failed');
    return problem(503, 'unavailable', 'the report could not be stored; nothing was kept. Try again later.', { 'retry-after': '30' });
  }
}
