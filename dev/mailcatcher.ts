// The embedded mail catcher of `npm start` when SMTP_URL is unset: an SMTP server that keeps every message under
// <dataDir>/mail and serves the part of Mailpit's HTTP API v1 that the console and the tests use, so both work the
// same against a real Mailpit (docker-compose). Read the mail on the console's /mailbox page.
import http from 'node:http';
import type net from 'node:net';
import path from 'node:path';
import type { Logger } from 'pino';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { childLogger } from '../lib/log';
import { isPortFree } from './net';
import { MailStore, type Envelope } from './mailcatcher/store';

export const DEFAULT_SMTP_PORT = 1025;
export const DEFAULT_MAILBOX_PORT = 8025;
/** Big enough for any notice with evidence attached; larger messages get SMTP 552. */
export const DEFAULT_MAX_MESSAGE_BYTES = 25 * 1024 * 1024;

export interface MailCatcherOptions {
  /** The data folder; messages live in <dataDir>/mail. */
  dataDir: string;
  smtpPort?: number;
  httpPort?: number;
  host?: string;
  maxMessageBytes?: number;
  log?: Logger;
}

export interface MailCatcher {
  /** smtp://host:port for nodemailer (SMTP_URL). */
  smtpUrl: string;
  /** http://host:port, the Mailpit-compatible API root (MAILBOX_URL). */
  apiUrl: string;
  stop(): Promise<void>;
}

class SizeError extends Error {
  readonly responseCode = 552;
}

function receive(store: MailStore, maxBytes: number, log: Logger) {
  return (stream: SMTPServerDataStream, session: SMTPServerSession, callback: (err?: Error | null, message?: string) => void) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // Past the limit the rest is only counted, not kept: the message will be refused anyway.
      if (size <= maxBytes) chunks.push(chunk);
    });
    stream.on('error', (err) => callback(err));
    stream.on('end', () => {
      if (stream.sizeExceeded || size > maxBytes) {
        log.warn({ size, maxBytes }, 'refused an oversized message');
        callback(new SizeError(`Message exceeds fixed maximum message size of ${maxBytes} bytes`));
        return;
      }
      const envelope: Envelope = {
        mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
        rcptTo: session.envelope.rcptTo.map((r) => r.address),
      };
      store.add(Buffer.concat(chunks), envelope).then(
        (summary) => {
          log.info({ id: summary.ID, to: envelope.rcptTo, subject: summary.Subject, size: summary.Size }, 'mail caught');
          callback(null, `Queued as ${summary.ID}`);
        },
        (err: unknown) => {
          log.error({ err }, 'could not store a caught message');
          const failure = new Error('Local error in processing: the message could not be stored') as Error & { responseCode: number };
          failure.responseCode = 451;
          callback(failure);
        },
      );
    });
  };
}

function send(res: http.ServerResponse, status: number, body: string | Buffer, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const sendJson = (res: http.ServerResponse, value: unknown) => send(res, 200, JSON.stringify(value), 'application/json');

function intParam(url: URL, name: string, fallback: number, min: number): number {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new RangeError(`${name} must be an integer ≥ ${min}`);
  return n;
}

async function readBody(req: http.IncomingMessage, limit = 1024 * 1024): Promise<string> {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > limit) throw new RangeError('request body too large');
  }
  return body;
}

function api(store: MailStore, log: Logger) {
  return async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://catcher');
    const method = req.method ?? 'GET';
    const parts = url.pathname.split('/').filter(Boolean);
    try {
      if (url.pathname === '/livez' || url.pathname === '/readyz') return send(res, 200, 'ok');
      if (url.pathname === '/api/v1/messages') {
        if (method === 'GET') {
          return sendJson(res, store.list(intParam(url, 'start', 0, 0), intParam(url, 'limit', 50, 1)));
        }
        if (method === 'DELETE') {
          const body = await readBody(req);
          let ids: string[] = [];
          if (body.trim()) {
            const parsed = JSON.parse(body) as { IDs?: unknown };
            if (parsed.IDs !== undefined && (!Array.isArray(parsed.IDs) || !parsed.IDs.every((i) => typeof i === 'string'))) {
              return send(res, 400, 'IDs must be an array of message ids');
            }
            ids = (parsed.IDs as string[] | undefined) ?? [];
          }
          const deleted = store.delete(ids);
          log.info({ deleted }, 'mail deleted');
          return send(res, 200, 'ok');
        }
        return send(res, 405, 'method not allowed');
      }
      // /api/v1/message/{ID}[/raw | /part/{PartID}]
      if (parts[0] === 'api' && parts[1] === 'v1' && parts[2] === 'message' && parts[3]) {
        if (method !== 'GET') return send(res, 405, 'method not allowed');
        const id = store.resolve(parts[3]);
        if (!id) return send(res, 404, 'Message not found');
        if (parts.length === 4) return sendJson(res, await store.message(id));
        if (parts.length === 5 && parts[4] === 'raw') return send(res, 200, store.raw(id));
        if (parts.length === 6 && parts[4] === 'part' && parts[5]) {
          const part = await store.part(id, parts[5]);
          if (!part) return send(res, 404, 'Attachment not found');
          res.setHeader('content-disposition', `attachment; filename="${part.fileName.replace(/["\\\r\n]/g, '_')}"`);
          return send(res, 200, part.content, part.contentType);
        }
      }
      if (url.pathname === '/') {
        return send(res, 200, 'Safeguard mail catcher: Mailpit-compatible API under /api/v1 (messages, message/{ID}, message/{ID}/raw)\n');
      }
      return send(res, 404, 'Not found');
    } catch (err) {
      if (err instanceof RangeError || err instanceof SyntaxError) return send(res, 400, err.message);
      log.error({ err, url: url.pathname }, 'mail catcher API error');
      return send(res, 500, 'internal error');
    }
  };
}

async function listen(server: net.Server | http.Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return (server.address() as net.AddressInfo).port;
}

export async function startMailCatcher(opts: MailCatcherOptions): Promise<MailCatcher> {
  const log = opts.log ?? childLogger('mail');
  const host = opts.host ?? '127.0.0.1';
  const smtpPort = opts.smtpPort ?? DEFAULT_SMTP_PORT;
  const httpPort = opts.httpPort ?? DEFAULT_MAILBOX_PORT;
  const maxBytes = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  for (const [port, what] of [[smtpPort, 'SMTP'], [httpPort, 'mailbox API']] as const) {
    if (port !== 0 && !(await isPortFree(port, host))) {
      throw new Error(
        `Port ${port} on ${host} is in use, so the mail catcher's ${what} cannot listen there. ` +
          'Stop whatever uses it (another `npm start`, a Mailpit?), choose another port, or set SMTP_URL and MAILBOX_URL.',
      );
    }
  }

  const store = await MailStore.open(path.join(path.resolve(opts.dataDir), 'mail'));
  const smtp = new SMTPServer({
    name: 'safeguard-mailcatcher',
    banner: 'Safeguard mail catcher (keeps every message; nothing is delivered)',
    size: maxBytes,
    // Loopback only: no TLS, and any credentials (or none) are accepted so every client configuration works.
    disabledCommands: ['STARTTLS'],
    authOptional: true,
    allowInsecureAuth: true,
    onAuth: (auth, _session, callback) => callback(null, { user: auth.username ?? 'anonymous' }),
    disableReverseLookup: true,
    logger: false,
    closeTimeout: 2_000,
    onData: receive(store, maxBytes, log),
  });
  smtp.on('error', (err) => log.warn({ err }, 'SMTP connection error'));
  const web = http.createServer((req, res) => void api(store, log)(req, res));

  let smtpListening = false;
  try {
    const actualSmtp = await listen(smtp.server, smtpPort, host);
    smtpListening = true;
    const actualHttp = await listen(web, httpPort, host);
    const smtpUrl = `smtp://${host}:${actualSmtp}`;
    const apiUrl = `http://${host}:${actualHttp}`;
    log.info({ smtpUrl, apiUrl, messages: store.list(0, 1).total }, 'mail catcher ready');
    let stopping: Promise<void> | undefined;
    const stop = () =>
      (stopping ??= (async () => {
        web.closeAllConnections();
        await Promise.all([
          new Promise<void>((resolve) => web.close(() => resolve())),
          new Promise<void>((resolve) => smtp.close(() => resolve())),
        ]);
        log.info('mail catcher stopped');
      })());
    return { smtpUrl, apiUrl, stop };
  } catch (err) {
    if (smtpListening) await new Promise<void>((resolve) => smtp.close(() => resolve()));
    throw err;
  }
}
