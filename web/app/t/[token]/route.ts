// The address in the notice email. It answers a bad link here, with a real status (404 never issued, 410 expired,
// withdrawn or used, 403 for another tenant's case), and sends a good one on to the case page.
import { TENANT_CASE_LINK } from '../../../../domain/cases';
import { escapeHtml } from '../../../../domain/notices';
import { verifyAccessLink, type AccessLinkErrorCode } from '../../../../lib/access-links';

export const dynamic = 'force-dynamic';

const STATUS: Record<AccessLinkErrorCode, number> = { unknown: 404, expired: 410, revoked: 410, used: 410, 'wrong-subject': 403 };

function problemPage(reason: AccessLinkErrorCode, message: string): Response {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="referrer" content="no-referrer"><meta name="robots" content="noindex">
<title>Link cannot be used · Safeguard</title><style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#1f2933}.error{color:#b42318}</style></head>
<body><main data-testid="tenant-link-problem" data-reason="${reason}"><h1>This link cannot be used</h1><p role="alert" class="error">${escapeHtml(message)}</p>
<p>Reply to the email you received and the abuse desk will send a new link. Nothing about your case has changed.</p></main></body></html>`;
  return new Response(html, {
    status: STATUS[reason],
    headers: { 'content-type': 'text/html; charset=utf-8', 'referrer-policy': 'no-referrer', 'cache-control': 'no-store' },
  });
}

export async function GET(_req: Request, { params }: { params: Promise<{ token: string }> }): Promise<Response> {
  const { token } = await params;
  const verdict = await verifyAccessLink(token, { purpose: TENANT_CASE_LINK });
  if (!verdict.ok) return problemPage(verdict.error, verdict.message);
  // Relative Location: correct behind any proxy, whatever host the tenant used.
  return new Response(null, { status: 303, headers: { location: `/t/${encodeURIComponent(token)}/case`, 'referrer-policy': 'no-referrer', 'cache-control': 'no-store' } });
}
