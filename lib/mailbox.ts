// Reads caught mail through the Mailpit HTTP API (v1): the embedded catcher (dev/mailcatcher.ts) serves the same subset,
// so the console's mailbox page and the tests work unchanged against a real Mailpit (docker-compose).
import { z } from 'zod';
import { required } from './config';

// Mailpit sends null for some empty address lists (older versions, or a missing From in a full message).
const address = z.object({ Name: z.string(), Address: z.string() });
const addresses = z
  .array(address)
  .nullish()
  .transform((v) => v ?? []);

export const messageSummarySchema = z.object({
  ID: z.string(),
  MessageID: z.string(),
  Read: z.boolean(),
  From: address.nullable(),
  To: addresses,
  Cc: addresses,
  Bcc: addresses,
  ReplyTo: addresses,
  Subject: z.string(),
  /** When the catcher received it (ISO 8601). */
  Created: z.string(),
  Tags: z.array(z.string()).nullish().transform((v) => v ?? []),
  /** Size of the raw message in bytes. */
  Size: z.number(),
  /** How many attachments it has. */
  Attachments: z.number(),
  /** Up to 250 characters of the text. */
  Snippet: z.string(),
});

export const messagesPageSchema = z.object({
  total: z.number(),
  unread: z.number(),
  messages_count: z.number(),
  start: z.number(),
  messages: z.array(messageSummarySchema),
});

const attachment = z.object({
  PartID: z.string(),
  FileName: z.string(),
  ContentType: z.string(),
  ContentID: z.string(),
  Size: z.number(),
});

export const messageSchema = z.object({
  ID: z.string(),
  MessageID: z.string(),
  From: address.nullable(),
  To: addresses,
  Cc: addresses,
  Bcc: addresses,
  ReplyTo: addresses,
  ReturnPath: z.string(),
  Subject: z.string(),
  /** The Date header, or when it was received if there is none. */
  Date: z.string(),
  Tags: z.array(z.string()).nullish().transform((v) => v ?? []),
  Text: z.string(),
  HTML: z.string(),
  Size: z.number(),
  Inline: z.array(attachment).nullish().transform((v) => v ?? []),
  Attachments: z.array(attachment).nullish().transform((v) => v ?? []),
});

export type MailAddress = z.infer<typeof address>;
export type MailAttachment = z.infer<typeof attachment>;
export type MessageSummary = z.infer<typeof messageSummarySchema>;
export type MessagesPage = z.infer<typeof messagesPageSchema>;
export type Message = z.infer<typeof messageSchema>;

export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** How many of the newest messages each poll looks at. */
  window?: number;
}

export interface Mailbox {
  readonly baseUrl: string;
  /** Newest first. */
  listMessages(opts?: { limit?: number; start?: number }): Promise<MessagesPage>;
  getMessage(id: string): Promise<Message>;
  getRawMessage(id: string): Promise<string>;
  deleteAll(): Promise<void>;
  /** Polls until a message matching `predicate` is listed, then returns it in full. */
  waitForMessage(predicate: (m: MessageSummary) => boolean, opts?: WaitOptions): Promise<Message>;
}

export class MailboxError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'MailboxError';
  }
}

export function createMailbox(baseUrl: string): Mailbox {
  let root: URL;
  try {
    root = new URL(baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
  } catch {
    throw new MailboxError(`MAILBOX_URL is not a URL: ${baseUrl}`);
  }

  async function call(method: string, pathname: string, body?: unknown): Promise<Response> {
    const url = new URL(pathname, root);
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: body === undefined ? undefined : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (err) {
      throw new MailboxError(`The mailbox at ${root.origin} is not reachable (${(err as Error).message})`);
    }
    if (!res.ok) {
      const text = (await res.text().catch(() => '')).trim().slice(0, 200);
      throw new MailboxError(`${method} ${url.pathname} answered ${res.status}${text ? `: ${text}` : ''}`, res.status);
    }
    return res;
  }

  async function json<T>(schema: z.ZodType<T>, pathname: string): Promise<T> {
    const res = await call('GET', pathname);
    const parsed = schema.safeParse(await res.json());
    if (!parsed.success) {
      throw new MailboxError(`GET ${pathname} did not return the Mailpit API shape: ${z.prettifyError(parsed.error)}`);
    }
    return parsed.data;
  }

  const messagePath = (id: string) => {
    if (!/^[A-Za-z0-9_-]+$/.test(id)) throw new MailboxError(`Not a message id: ${JSON.stringify(id)}`);
    return `api/v1/message/${id}`;
  };

  const mailbox: Mailbox = {
    baseUrl: root.href,
    listMessages({ limit = 50, start = 0 } = {}) {
      if (!Number.isInteger(limit) || limit < 1 || !Number.isInteger(start) || start < 0) {
        throw new MailboxError('limit must be a positive integer and start a non-negative integer');
      }
      return json(messagesPageSchema, `api/v1/messages?limit=${limit}&start=${start}`);
    },
    getMessage: (id) => json(messageSchema, messagePath(id)),
    async getRawMessage(id) {
      return (await call('GET', `${messagePath(id)}/raw`)).text();
    },
    async deleteAll() {
      await call('DELETE', 'api/v1/messages');
    },
    async waitForMessage(predicate, { timeoutMs = 15_000, intervalMs = 200, window = 50 } = {}) {
      const deadline = Date.now() + timeoutMs;
      let seen: MessageSummary[] = [];
      for (;;) {
        seen = (await mailbox.listMessages({ limit: window })).messages;
        const hit = seen.find(predicate);
        if (hit) return mailbox.getMessage(hit.ID);
        if (Date.now() >= deadline) break;
        await new Promise((r) => setTimeout(r, intervalMs));
      }
      const subjects = seen.slice(0, 10).map((m) => `"${m.Subject}" to ${m.To.map((t) => t.Address).join(', ')}`);
      throw new MailboxError(
        `No matching message after ${timeoutMs} ms; newest of ${seen.length}: ${subjects.join('; ') || '(mailbox empty)'}`,
      );
    },
  };
  return mailbox;
}

/** The mailbox named by MAILBOX_URL (set by `npm start` when it runs the embedded catcher). */
export function mailbox(): Mailbox {
  return createMailbox(required('MAILBOX_URL'));
}

export const listMessages: Mailbox['listMessages'] = (opts) => mailbox().listMessages(opts);
export const getMessage: Mailbox['getMessage'] = (id) => mailbox().getMessage(id);
export const getRawMessage: Mailbox['getRawMessage'] = (id) => mailbox().getRawMessage(id);
export const deleteAll: Mailbox['deleteAll'] = () => mailbox().deleteAll();
export const waitForMessage: Mailbox['waitForMessage'] = (predicate, opts) => mailbox().waitForMessage(predicate, opts);
