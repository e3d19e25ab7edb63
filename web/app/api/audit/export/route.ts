// GET /api/audit/export?format=csv|json&<the audit page's filters>: the matching audit entries as a download, newest
// first, for approvers and admins signed in to the console (session cookie). JSON keeps the chain fields (chainSeq,
// prevHash, hash) so each entry can be checked offline, and an unfiltered export re-verified link by link.
// At most EXPORT_MAX_ROWS entries are written; X-Audit-Total and X-Audit-Truncated say when there were more.
import { roleAllows } from '../../../../../domain/roles';
import { appendAudit } from '../../../../../lib/audit';
import { db } from '../../../../../lib/db';
import { childLogger } from '../../../../../lib/log';
import { SESSION_COOKIE, userForToken } from '../../../../../lib/session';
import { parseCookies } from '../../../../server/http';
import {
  AUDIT_ROLE,
  auditExportRows,
  auditFiltersSchema,
  auditExportScope,
  auditRefusal,
  csvLine,
  csvRow,
  EXPORT_COLUMNS,
  EXPORT_MAX_ROWS,
} from '../../../../server/routers/audit';

export const dynamic = 'force-dynamic';

const log = childLogger('audit-export');

function problem(status: number, error: string, message: string): Response {
  return Response.json({ error, message }, { status, headers: { 'cache-control': 'no-store' } });
}

const FILTER_KEYS = ['actorId', 'action', 'subjectType', 'subjectId', 'from', 'to'] as const;

export async function GET(req: Request): Promise<Response> {
  const user = await userForToken(db(), parseCookies(req.headers.get('cookie'))[SESSION_COOKIE]);
  if (!user) return problem(401, 'unauthenticated', 'Sign in to the console first.');
  if (!roleAllows(user.role, AUDIT_ROLE)) return problem(403, 'forbidden', auditRefusal(user.role));

  const params = new URL(req.url).searchParams;
  const format = params.get('format') ?? 'csv';
  if (format !== 'csv' && format !== 'json') return problem(400, 'bad_format', `format must be csv or json, not ${JSON.stringify(format.slice(0, 20))}.`);
  // An empty form field means "any", as on the page.
  const raw = Object.fromEntries(FILTER_KEYS.flatMap((k) => (params.get(k) ? [[k, params.get(k)]] : [])));
  const parsed = auditFiltersSchema.safeParse(raw);
  if (!parsed.success) {
    return problem(400, 'bad_filter', parsed.error.issues.map((i) => `${i.path.join('.') || 'filters'}: ${i.message}`).join('; '));
  }
  const filters = parsed.data;

  const { total, cursor } = await auditExportScope(filters);
  const rows = Math.min(total, EXPORT_MAX_ROWS);
  // Who took a copy of the log, and of what, is itself on the log.
  await appendAudit(db(), {
    actorType: 'user',
    actorId: user.id,
    action: 'audit.exported',
    subjectType: 'audit_log',
    subjectId: 'audit',
    data: { format, filters: Object.fromEntries(Object.entries(raw)), rows, total },
  });

  const encoder = new TextEncoder();
  const source = auditExportRows(filters, cursor);
  let first = true;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(format === 'csv' ? csvLine([...EXPORT_COLUMNS]) : '['));
    },
    async pull(controller) {
      try {
        const next = await source.next();
        if (next.done) {
          if (format === 'json') controller.enqueue(encoder.encode(first ? ']\n' : '\n]\n'));
          controller.close();
          return;
        }
        const e = next.value;
        controller.enqueue(encoder.encode(format === 'csv' ? csvRow(e) : `${first ? '\n' : ',\n'}${JSON.stringify(e)}`));
        first = false;
      } catch (err) {
        log.error({ err }, 'writing the audit export failed');
        controller.error(err);
      }
    },
    async cancel() {
      await source.return(undefined);
    },
  });

  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return new Response(body, {
    status: 200,
    headers: {
      'content-type': format === 'csv' ? 'text/csv; charset=utf-8; header=present' : 'application/json; charset=utf-8',
      'content-disposition': `attachment; filename="safeguard-audit-${stamp}.${format}"`,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'x-audit-total': String(total),
      'x-audit-rows': String(rows),
      'x-audit-truncated': total > EXPORT_MAX_ROWS ? 'true' : 'false',
    },
  });
}
