// Caught mail on disk, so it survives restarts: <dir>/<ID>.eml is the message byte for byte as received,
// <ID>.json what the SMTP session said about it. Shapes follow Mailpit's API v1 (see lib/mailbox.ts).
import { randomInt } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { simpleParser, type AddressObject, type Attachment, type ParsedMail } from 'mailparser';
import type { MailAddress, MailAttachment, Message, MessagesPage, MessageSummary } from '../../lib/mailbox';

export interface Envelope {
  mailFrom: string;
  rcptTo: string[];
}

interface Meta {
  created: string;
  read: boolean;
  envelope: Envelope;
}

interface Entry {
  summary: MessageSummary;
  createdMs: number;
  meta: Meta;
}

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** Mailpit's ids are 22-character short UUIDs; ours have the same length and alphabet class. */
export const MESSAGE_ID_PATTERN = /^[A-Za-z0-9]{22}$/;

function newId(): string {
  let id = '';
  for (let i = 0; i < 22; i++) id += ID_ALPHABET[randomInt(ID_ALPHABET.length)];
  return id;
}

function flatten(field: AddressObject | AddressObject[] | undefined): MailAddress[] {
  const out: MailAddress[] = [];
  const visit = (a: { name: string; address?: string; group?: unknown[] }) => {
    if (a.group) for (const member of a.group as (typeof a)[]) visit(member);
    else out.push({ Name: a.name ?? '', Address: a.address ?? '' });
  };
  for (const obj of Array.isArray(field) ? field : field ? [field] : []) for (const a of obj.value) visit(a);
  return out;
}

/** Like Mailpit: up to 250 characters of the text with whitespace collapsed, "..." when cut. */
function snippet(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 250 ? `${flat.slice(0, 250)}...` : flat;
}

function isInline(a: Attachment): boolean {
  return a.related || a.contentDisposition === 'inline';
}

// Mailpit lists only parts that have a file name or a Content-ID.
function listable(a: Attachment): boolean {
  return Boolean(a.filename || a.cid);
}

function attachmentSummary(a: Attachment, index: number): MailAttachment {
  return {
    PartID: a.partId ?? String(index + 1),
    FileName: a.filename || a.cid || '',
    ContentType: a.contentType,
    ContentID: a.cid ?? '',
    Size: a.size,
  };
}

function parse(raw: Buffer): Promise<ParsedMail> {
  return simpleParser(raw, { keepCidLinks: true });
}

export class MailStore {
  private readonly entries = new Map<string, Entry>();

  private constructor(readonly dir: string) {}

  /** Opens (creating if needed) the folder and indexes every message already in it. */
  static async open(dir: string): Promise<MailStore> {
    fs.mkdirSync(dir, { recursive: true });
    const store = new MailStore(dir);
    for (const file of fs.readdirSync(dir)) {
      if (file.endsWith('.tmp')) fs.rmSync(path.join(dir, file), { force: true }); // a write cut short by a crash
      if (!file.endsWith('.eml')) continue;
      const id = file.slice(0, -4);
      if (!MESSAGE_ID_PATTERN.test(id)) continue;
      const raw = fs.readFileSync(path.join(dir, file));
      let meta: Meta;
      try {
        meta = JSON.parse(fs.readFileSync(store.metaPath(id), 'utf8')) as Meta;
      } catch {
        // The metadata was never written (crash between the two renames): the file time is the best we have.
        meta = { created: fs.statSync(path.join(dir, file)).mtime.toISOString(), read: false, envelope: { mailFrom: '', rcptTo: [] } };
      }
      await store.index(id, raw, meta);
    }
    return store;
  }

  private emlPath(id: string): string {
    return path.join(this.dir, `${id}.eml`);
  }

  private metaPath(id: string): string {
    return path.join(this.dir, `${id}.json`);
  }

  private writeAtomic(file: string, data: string | Buffer): void {
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  }

  private async index(id: string, raw: Buffer, meta: Meta): Promise<Entry> {
    const mail = await parse(raw);
    const to = flatten(mail.to);
    const cc = flatten(mail.cc);
    const summary: MessageSummary = {
      ID: id,
      MessageID: (mail.messageId ?? '').replace(/^<|>$/g, ''),
      Read: meta.read,
      From: flatten(mail.from)[0] ?? { Name: '', Address: '' },
      To: to,
      Cc: cc,
      Bcc: this.bcc(mail, meta.envelope, [...to, ...cc]),
      ReplyTo: flatten(mail.replyTo),
      Subject: mail.subject ?? '',
      Created: meta.created,
      Tags: [],
      Size: raw.length,
      Attachments: mail.attachments.filter((a) => !isInline(a) && listable(a)).length,
      Snippet: snippet(mail.text ?? ''),
    };
    const entry = { summary, createdMs: Date.parse(meta.created), meta };
    this.entries.set(id, entry);
    return entry;
  }

  /** Bcc recipients appear only in the SMTP envelope: the ones not named in To or Cc. */
  private bcc(mail: ParsedMail, envelope: Envelope, visible: MailAddress[]): MailAddress[] {
    const listed = flatten(mail.bcc);
    const known = new Set([...visible, ...listed].map((a) => a.Address.toLowerCase()));
    const hidden = envelope.rcptTo.filter((r) => !known.has(r.toLowerCase())).map((r) => ({ Name: '', Address: r }));
    return [...listed, ...hidden];
  }

  async add(raw: Buffer, envelope: Envelope): Promise<MessageSummary> {
    let id = newId();
    while (this.entries.has(id)) id = newId();
    const meta: Meta = { created: new Date().toISOString(), read: false, envelope };
    // Parse before writing, so a message the parser rejects is refused instead of stored half-indexed.
    const entry = await this.index(id, raw, meta);
    try {
      this.writeAtomic(this.emlPath(id), raw);
      this.writeAtomic(this.metaPath(id), JSON.stringify(meta));
    } catch (err) {
      this.entries.delete(id);
      throw err;
    }
    return entry.summary;
  }

  private newestFirst(): Entry[] {
    return [...this.entries.values()].sort((a, b) => b.createdMs - a.createdMs || (b.summary.ID < a.summary.ID ? -1 : 1));
  }

  list(start: number, limit: number): MessagesPage & { count: number; tags: string[] } {
    const all = this.newestFirst();
    const page = all.slice(start, start + limit).map((e) => e.summary);
    return {
      total: all.length,
      unread: all.filter((e) => !e.meta.read).length,
      count: page.length,
      messages_count: all.length,
      start,
      tags: [],
      messages: page,
    };
  }

  /** Resolves Mailpit's "latest" alias; undefined when unknown. */
  resolve(id: string): string | undefined {
    if (id === 'latest') return this.newestFirst()[0]?.summary.ID;
    return MESSAGE_ID_PATTERN.test(id) && this.entries.has(id) ? id : undefined;
  }

  raw(id: string): Buffer {
    return fs.readFileSync(this.emlPath(id));
  }

  /** The full message; like Mailpit, reading it marks it read. */
  async message(id: string): Promise<Message> {
    const entry = this.entries.get(id)!;
    const raw = this.raw(id);
    const mail = await parse(raw);
    if (!entry.meta.read) {
      entry.meta.read = true;
      entry.summary.Read = true;
      this.writeAtomic(this.metaPath(id), JSON.stringify(entry.meta));
    }
    const from = flatten(mail.from)[0] ?? null;
    const listed = mail.attachments.filter(listable);
    const returnPath = mail.headers.get('return-path');
    return {
      ID: id,
      MessageID: entry.summary.MessageID,
      From: from,
      To: entry.summary.To,
      Cc: entry.summary.Cc,
      Bcc: entry.summary.Bcc,
      ReplyTo: entry.summary.ReplyTo,
      ReturnPath: (typeof returnPath === 'string' ? returnPath : '').replace(/^<|>$/g, '') || entry.meta.envelope.mailFrom || from?.Address || '',
      Subject: entry.summary.Subject,
      Date: (mail.date ?? new Date(entry.createdMs)).toISOString(),
      Tags: [],
      Text: mail.text ?? '',
      HTML: mail.html || '',
      Size: raw.length,
      Inline: listed.filter(isInline).map((a) => attachmentSummary(a, mail.attachments.indexOf(a))),
      Attachments: listed.filter((a) => !isInline(a)).map((a) => attachmentSummary(a, mail.attachments.indexOf(a))),
    };
  }

  async part(id: string, partId: string): Promise<{ contentType: string; fileName: string; content: Buffer } | undefined> {
    const mail = await parse(this.raw(id));
    const index = mail.attachments.findIndex((a, i) => attachmentSummary(a, i).PartID === partId);
    const a = mail.attachments[index];
    return a ? { contentType: a.contentType, fileName: a.filename ?? '', content: a.content } : undefined;
  }

  /** Deletes the given messages, or all of them when `ids` is empty. Returns how many went. */
  delete(ids: string[] = []): number {
    const targets = ids.length ? ids.filter((id) => this.entries.has(id)) : [...this.entries.keys()];
    for (const id of targets) {
      fs.rmSync(this.metaPath(id), { force: true });
      fs.rmSync(this.emlPath(id), { force: true });
      this.entries.delete(id);
    }
    return targets.length;
  }
}
