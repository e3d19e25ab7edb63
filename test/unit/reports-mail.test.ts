import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseReport } from '../../domain/reports/detect';
import { guessCategory } from '../../domain/reports/freetext';
import { detectLineEndings } from '../../domain/reports/mime';
import type { NormalisedReport } from '../../domain/reports/types';

const fixtures = fileURLToPath(new URL('../fixtures/reports/', import.meta.url));
const builtIn = { schemaDirs: { xarfV4: null, xarf02: null } };
const lf = (name: string) => readFileSync(fixtures + name, 'utf8').replace(/\r\n?/g, '\n');

async function parse(text: string | Buffer, filename?: string): Promise<NormalisedReport> {
  const outcome = await parseReport(Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8'), filename ? { filename } : {}, builtIn);
  if (!outcome.ok) throw new Error(outcome.error);
  return outcome.report;
}

const variants = (text: string) => ({ lf: text, crlf: text.replace(/\n/g, '\r\n'), cr: text.replace(/\n/g, '\r') });

describe('ARF (RFC 5965)', () => {
  it('takes Source-IP, Arrival-Date, Reported-Domain and Reported-Uri, and the original message for evidence', async () => {
    const r = await parse(lf('arf/abuse-complete.eml'));
    expect(r).toMatchObject({
      format: 'arf',
      category: 'spam',
      reportedAs: 'Feedback-Type: abuse',
      sourceIps: [{ address: '93.184.216.34', public: true }],
      eventTime: new Date('2026-03-04T05:12:09Z'),
      reportedDomains: ['cheap-watches.example.com'],
      reportedUrls: ['http://cheap-watches.example.com/buy?id=42'],
      reporter: { name: 'Mailbox Provider FBL', email: 'fbl@mailbox-provider.example', domain: 'mailbox-provider.example' },
      externalId: '<fbl-20260304-0001@mailbox-provider.example>',
      confidence: 'high',
    });
    expect(r.warnings).toEqual(["Reported-Uri 'mailto:promo@cheap-watches.example.com' is not a web address; kept in the evidence only"]);
    expect(r.evidenceSummary).toContain('Received: from outbound.cheap-watches.example.com');
    expect(r.evidenceSummary).toContain('Subject: Cheap watches');
    expect(r.evidenceSummary).toContain('From: "Watch Deals" <promo@cheap-watches.example.com>');
    expect(r.evidenceSummary).toContain('original-mail-from: <promo@cheap-watches.example.com>');
  });

  it('derives the source from the original headers when Source-IP is missing, and maps auth-failure', async () => {
    const r = await parse(lf('arf/auth-failure-headers-only.eml'));
    expect(r).toMatchObject({
      category: 'phishing',
      sourceIps: [{ address: '2001:4860:4860::8888', version: 6 }],
      reportedDomains: ['bank.example'],
      eventTime: new Date('2026-03-05T05:00:00Z'),
      confidence: 'medium',
    });
    expect(r.warnings).toContain("no Source-IP field; source taken from the original message's top Received header (2001:4860:4860::8888)");
    expect(r.warnings).toContain("no usable Arrival-Date; event time taken from the report mail's Date");
  });

  it('refuses not-spam feedback: there is nothing to act on', async () => {
    const outcome = await parseReport(Buffer.from(lf('arf/not-spam.eml')), {}, builtIn);
    expect(outcome).toEqual({ ok: false, format: 'arf', error: "ARF Feedback-Type 'not-spam' says the message was wanted: nothing to act on" });
  });
});

describe('line endings', () => {
  for (const name of ['arf/abuse-complete.eml', 'xarf-0.2/login-attack.eml', 'free-text/phishing-complaint.eml', 'xarf-v4/mail-attachment.eml']) {
    it(`parses ${name} the same with LF, CRLF and CR-only line endings`, async () => {
      const v = variants(lf(name));
      expect(detectLineEndings(Buffer.from(v.cr))).toBe('cr');
      expect(detectLineEndings(Buffer.from(v.crlf))).toBe('crlf');
      const [a, b, c] = await Promise.all([parse(v.lf), parse(v.crlf), parse(v.cr)]);
      expect(a.sourceIps.length).toBeGreaterThan(0);
      expect(b).toEqual(a);
      expect(c).toEqual(a);
    });
  }
});

describe('free text', () => {
  it('pulls addresses, the first time and the category from a pasted text', async () => {
    const r = await parse(lf('free-text/ssh-bruteforce.txt'), 'ssh-bruteforce.txt');
    expect(r).toMatchObject({
      format: 'free-text',
      category: 'hacking_login_attack',
      reportedAs: 'free text',
      eventTime: new Date('2026-03-05T21:14:03Z'),
      confidence: 'low',
    });
    expect(r.sourceIps.map((i) => i.address)).toEqual(['93.184.216.34', '2a00:1450:4001:80b::200e']);
    expect(r.warnings).toContain('2 addresses found in the text; every one is listed as a source, check which are');
  });

  it('reads a complaint mail: defanged URL, sender, mail Date as event time', async () => {
    const r = await parse(lf('free-text/phishing-complaint.eml'));
    expect(r).toMatchObject({
      category: 'phishing',
      reportedUrls: ['https://secure-login.woodgrove-verify.example/signin'],
      reportedDomains: ['secure-login.woodgrove-verify.example'],
      sourceIps: [{ address: '93.184.216.34' }],
      eventTime: new Date('2026-03-06T07:30:00Z'),
      reporter: { name: 'Jane Doe', email: 'jane@customer.example' },
    });
  });

  it('refuses text without any abuse keyword', async () => {
    const outcome = await parseReport(Buffer.from(lf('free-text/no-category.txt')), {}, builtIn);
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.error).toMatch(/^free text: no abuse category could be recognised/);
  });

  it('weighs the subject double and prefers the stronger category', () => {
    expect(guessCategory('we saw a port scan, a port scan and nmap', 'DDoS attack')).toMatchObject({ category: 'hacking_port_scan', score: 3 });
    expect(guessCategory('we saw a port scan', 'DDoS attack')).toMatchObject({ category: 'dos', score: 2 });
    expect(guessCategory('nothing to see')).toBeNull();
  });
});
