import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ARF_FEEDBACK_TYPE_MAP, XARF_02_CATEGORY_MAP, XARF_V3_TYPE_MAP, XARF_V4_CATEGORY_MAP } from '../../domain/reports/categories';
import { parseReport, sniff } from '../../domain/reports/detect';
import { NormalisedReportSchema, REPORT_CATEGORIES, type ParseOutcome } from '../../domain/reports/types';

const fixtures = fileURLToPath(new URL('../fixtures/reports/', import.meta.url));
const readme = readFileSync(fileURLToPath(new URL('../../domain/reports/README.md', import.meta.url)), 'utf8');
const builtIn = { schemaDirs: { xarfV4: null, xarf02: null } };
const parse = (input: string | Uint8Array, hint = {}, extra = {}) =>
  parseReport(typeof input === 'string' ? Buffer.from(input, 'utf8') : input, hint, { ...builtIn, ...extra });

function fixtureFiles(dir = fixtures): string[] {
  return readdirSync(dir).sort().flatMap((f) => (statSync(path.join(dir, f)).isDirectory() ? fixtureFiles(path.join(dir, f)) : [path.join(dir, f)]));
}

describe('sniffing', () => {
  it('decides by hint first, then by content', () => {
    expect(sniff('anything', { contentType: 'application/json; charset=utf-8' })).toBe('json');
    expect(sniff('anything', { filename: 'report.EML' })).toBe('mail');
    expect(sniff('anything', { filename: 'r.yml' })).toBe('yaml');
    expect(sniff('  {"a":1}')).toBe('json');
    expect(sniff('---\nCategory: abuse\n')).toBe('yaml');
    expect(sniff('Reported-From: a@example.com\nCategory: abuse\nReport-Type: login-attack\nDate: 2026-01-01T00:00:00Z\n')).toBe('yaml');
    expect(sniff('From: a@example.com\nSubject: hi\n\nbody')).toBe('mail');
    expect(sniff('From MAILER-DAEMON Fri Jul  8 12:08:34 2011\nFrom: a@example.com\nDate: x\n\nbody')).toBe('mail');
    expect(sniff('Hello: I saw spam from 1.2.3.4\nplease help')).toBe('text');
  });
});

describe('bad input gets a clear error, never an exception', () => {
  const cases: [string, string | Uint8Array, RegExp, object?][] = [
    ['empty', '', /^the report is empty$/],
    ['white space', ' \n\t ', /only white space/],
    ['binary', new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01, 0x02]), /binary data/],
    ['UTF-16', new Uint8Array([0xff, 0xfe, 0x7b, 0x00, 0x7d, 0x00]), /UTF-16 text; send it as UTF-8/],
    ['too large', 'x'.repeat(2000), /2000 bytes, more than the 1000 accepted/, { maxBytes: 1000 }],
    ['malformed JSON', '{"xarf_version": "4.0.0",', /^malformed JSON: /],
    ['JSON array', '[1,2]', /is an array, not an X-ARF report object/],
    ['JSON without X-ARF fields', '{"hello": "world"}', /not an X-ARF report/],
    ['a JSON Schema', '{"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object"}', /is a JSON Schema, not a report/],
    ['invalid YAML', '---\nReport-Type: [unclosed\n', /^invalid YAML/],
    ['X-XARF mail without YAML', 'From: a@example.com\nX-XARF: PLAIN\nSubject: x\n\nno yaml here\n', /X-ARF mail without a readable YAML report part/],
  ];
  for (const [name, input, expected, extra] of cases) {
    it(name, async () => {
      const outcome = await parse(input, {}, extra);
      expect(outcome.ok).toBe(false);
      if (!outcome.ok) expect(outcome.error).toMatch(expected);
    });
  }
});

describe('evidence is plain text for a console that escapes it', () => {
  it('keeps markup as text but removes terminal escapes and bidi overrides', async () => {
    const r = await parse('Spam from 93.184.216.34: <script>alert(1)</script> \u001b[2J\u202Etxt.exe\u0000'.replace('\u0000', ''));
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.report.evidenceSummary).toContain('<script>alert(1)</script>');
      expect(r.report.evidenceSummary).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u202a-\u202e]/);
    }
  });
});

// A small deterministic generator, so a failing input can be reproduced from the seed.
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function checkOutcome(outcome: ParseOutcome, label: string): void {
  if (outcome.ok) {
    expect(NormalisedReportSchema.safeParse(outcome.report).success, label).toBe(true);
  } else {
    expect(typeof outcome.error, label).toBe('string');
    expect(outcome.error.length, label).toBeGreaterThan(5);
  }
}

describe('fuzzing: any bytes give an outcome', () => {
  it('random bytes and random printable text', async () => {
    const next = rng(20260301);
    for (let i = 0; i < 300; i++) {
      const len = Math.floor(next() * 600);
      const printable = i % 2 === 0;
      const bytes = new Uint8Array(len).map(() => (printable ? 0x20 + Math.floor(next() * 95) : Math.floor(next() * 256)));
      if (printable && i % 4 === 0 && len > 40) bytes.set(Buffer.from('From: x@y.example\nSubject: s\n\n'), 0);
      checkOutcome(await parse(bytes), `random #${i}`);
    }
  });

  it('every fixture truncated at many lengths and with flipped bytes', async () => {
    const next = rng(7);
    for (const file of fixtureFiles()) {
      const full = readFileSync(file);
      for (let k = 1; k <= 12; k++) {
        const cut = full.subarray(0, Math.floor((full.length * k) / 13));
        checkOutcome(await parse(cut, { filename: path.basename(file) }), `${file} cut ${cut.length}`);
        const flipped = Buffer.from(full);
        for (let j = 0; j < 5; j++) flipped[Math.floor(next() * flipped.length)] = Math.floor(next() * 256);
        checkOutcome(await parse(flipped), `${file} flipped #${k}`);
      }
    }
  });

  it('megabytes of near-miss text (times, dotted numbers, colons) finish quickly', async () => {
    for (const text of ['spam ' + '2024-01-01 10:00:00 '.repeat(100_000), 'spam ' + '1.'.repeat(1_000_000), 'spam ' + 'ab12:'.repeat(400_000)]) {
      const started = performance.now();
      checkOutcome(await parse(text), text.slice(0, 30));
      expect(performance.now() - started).toBeLessThan(1500); // about 50 ms here; over 4 s before the candidate filters
    }
  });

  it('hostile structures: deep JSON, YAML alias bombs, many MIME parts', async () => {
    checkOutcome(await parse('['.repeat(100_000)), 'deep JSON');
    const bomb = ['---', 'a: &a ["x","x","x","x","x","x","x","x","x"]', 'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]', 'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]', 'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]', 'Report-Type: [*d,*d,*d,*d,*d,*d,*d,*d,*d]'].join('\n');
    checkOutcome(await parse(bomb), 'alias bomb');
    const parts = Array.from({ length: 400 }, (_, i) => `--b\nContent-Type: text/plain\n\npart ${i} spam from 93.184.216.34\n`).join('');
    checkOutcome(await parse(`From: a@example.com\nSubject: spam\nContent-Type: multipart/mixed; boundary="b"\n\n${parts}--b--\n`), 'many parts');
  });
});

describe('README mapping table', () => {
  const rows = new Map<string, string>();
  for (const m of readme.matchAll(/^\|\s*`([^`]+)`\s*\|\s*`([^`]+)`\s*\|/gm)) rows.set(m[1]!, m[2]!);

  it('documents every X-ARF v4 pair, v3 type, 0.2 pair and ARF feedback type exactly as the code maps them', () => {
    const expected = new Map<string, string>();
    for (const [category, types] of Object.entries(XARF_V4_CATEGORY_MAP)) for (const [type, ours] of Object.entries(types)) expected.set(`${category}/${type}`, ours);
    for (const [type, ours] of Object.entries(XARF_V3_TYPE_MAP)) expected.set(`v3 ${type}`, ours);
    for (const [pair, ours] of Object.entries(XARF_02_CATEGORY_MAP)) expected.set(`0.2 ${pair}`, ours);
    for (const [type, ours] of Object.entries(ARF_FEEDBACK_TYPE_MAP)) expected.set(`Feedback-Type: ${type}`, ours);
    for (const [key, ours] of expected) expect(rows.get(key), key).toBe(ours);
    expect(Object.values(XARF_V4_CATEGORY_MAP).reduce((n, t) => n + Object.keys(t).length, 0)).toBe(32);
    for (const ours of rows.values()) expect(REPORT_CATEGORIES).toContain(ours);
  });
});
