// Conformance against third-party inputs in ../shared/corpus/abuse-reports (read in place, never copied here).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseFiles } from '../../cli/reports';
import { parseReport } from '../../domain/reports/detect';
import { loadPublishedXarf02, loadPublishedXarfV4, type PublishedValidator } from '../../domain/reports/published-schemas';
import { validateXarf02 } from '../../domain/reports/schemas/xarf-02';
import { validateXarfV4 } from '../../domain/reports/schemas/xarf-v4';
import type { NormalisedReport, ParseOptions, ParseOutcome, ReportCategory } from '../../domain/reports/types';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const corpus = path.join(path.resolve(repoRoot, '..', 'shared'), 'corpus', 'abuse-reports');
const present = existsSync(corpus);
if (!present) console.warn(`reports-corpus: skipped, ${corpus} is absent`);

const dirs = {
  xarfV4: path.join(corpus, 'xarf-spec/schemas/v4'),
  xarf02: path.join(corpus, 'xarf-schemata-v0.2'),
};
const published: ParseOptions = { schemaDirs: dirs };
const builtIn: ParseOptions = { schemaDirs: { xarfV4: null, xarf02: null } };
const fixtures = fileURLToPath(new URL('../fixtures/reports/', import.meta.url));

// describe.skipIf still runs the describe bodies to collect the tests, so a missing corpus must list as empty.
function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).sort().flatMap((f) => (statSync(path.join(dir, f)).isDirectory() ? files(path.join(dir, f)) : [path.join(dir, f)]));
}
const jsonIn = (dir: string) => files(path.join(corpus, dir)).filter((f) => f.endsWith('.json'));

async function accept(file: string, options: ParseOptions = published): Promise<NormalisedReport> {
  const outcome = await parseReport(readFileSync(file), { filename: path.basename(file) }, options);
  if (!outcome.ok) throw new Error(`${path.relative(corpus, file)}: ${outcome.error}`);
  return outcome.report;
}

async function validator(load: Promise<{ ok: true; validator: PublishedValidator } | { ok: false; error: string }>): Promise<PublishedValidator> {
  const loaded = await load;
  if (!loaded.ok) throw new Error(loaded.error);
  return loaded.validator;
}

const V4_EXPECTED: Record<string, ReportCategory> = {
  'connection-ddos': 'dos',
  'connection-infected-host': 'compromised_host',
  'connection-login-attack': 'hacking_login_attack',
  'connection-port-scan': 'hacking_port_scan',
  'connection-reconnaissance': 'hacking_port_scan',
  'connection-scraping': 'hacking_port_scan',
  'connection-sql-injection': 'hacking_exploitation',
  'connection-vulnerability-scan': 'hacking_port_scan',
  'content-brand-infringement': 'copyright',
  'content-csam': 'illegal_content',
  'content-csem': 'illegal_content',
  'content-exposed-data': 'vulnerable_service',
  'content-fraud': 'phishing',
  'content-malware': 'malware_hosting',
  'content-phishing': 'phishing',
  'content-remote-compromise': 'compromised_host',
  'content-suspicious-registration': 'phishing',
  'copyright-copyright': 'copyright',
  'copyright-cyberlocker': 'copyright',
  'copyright-link-site': 'copyright',
  'copyright-p2p': 'copyright',
  'copyright-ugc-platform': 'copyright',
  'copyright-usenet': 'copyright',
  'infrastructure-botnet': 'compromised_host',
  'infrastructure-compromised-server': 'compromised_host',
  'messaging-bulk-messaging': 'spam',
  'messaging-spam': 'spam',
  'reputation-blocklist': 'malware_hosting', // threat_type command_and_control
  'reputation-threat-intelligence': 'malware_hosting',
  'vulnerability-cve': 'vulnerable_service',
  'vulnerability-misconfiguration': 'vulnerable_service',
  'vulnerability-open-service': 'vulnerable_service',
};

const V3_EXPECTED: Record<string, ReportCategory> = {
  botnet_v3_sample: 'compromised_host', ddos_v3_sample: 'dos', phishing_v3_sample: 'phishing', spam_v3_sample: 'spam',
  botnet_sample: 'compromised_host', childabuse_sample: 'illegal_content', copyright_sample: 'copyright', ddos_sample: 'dos',
  exploit_sample: 'hacking_exploitation', exploit_sample_minimal: 'hacking_exploitation', harassment_sample_game: 'illegal_content',
  harassment_sample_image: 'illegal_content', harassment_sample_url: 'illegal_content', loginattack_sample: 'hacking_login_attack',
  loginattack_sample_optional_api_info: 'hacking_login_attack', malware_no_url: 'malware_hosting', malware_sample: 'malware_hosting',
  openservice_sample: 'vulnerable_service', openservice_sample_minimal: 'vulnerable_service',
  openservice_sample_optional_api_info: 'vulnerable_service', phishing_sample: 'phishing', portscan_sample: 'hacking_port_scan',
  potentially_compromised_attacker_sample: 'compromised_host', potentially_compromised_sample: 'compromised_host',
  potentially_compromised_sample_email: 'compromised_host', reporter_info_minimal: 'spam', reporter_info_org: 'spam',
  reporter_info_person: 'spam', rpz_sample: 'compromised_host', rpz_sample_additional_fields: 'compromised_host',
  spam_sample: 'spam', trademark_sample: 'copyright', webcrawler_sample: 'hacking_port_scan',
};

describe.skipIf(!present)(present ? `corpus conformance (${corpus})` : `corpus conformance SKIPPED: ${corpus} is absent`, () => {
  describe('X-ARF v4 samples', () => {
    const samples = jsonIn('xarf-spec/samples/v4');

    it('has one sample per published type', () => {
      expect(samples.map((f) => path.basename(f, '.json'))).toEqual(Object.keys(V4_EXPECTED).sort());
    });

    it('every sample is valid under the published schemas and under our zod schemas', async () => {
      const ajv = await validator(loadPublishedXarfV4(dirs.xarfV4));
      for (const file of samples) {
        const doc: unknown = JSON.parse(readFileSync(file, 'utf8'));
        expect(ajv.validate(doc), `published: ${file}`).toEqual({ valid: true });
        expect(validateXarfV4(doc), `zod: ${file}`).toEqual({ valid: true });
      }
    });

    it('every sample parses strictly (high confidence) to the expected category, with either validator', async () => {
      for (const file of samples) {
        const expected = V4_EXPECTED[path.basename(file, '.json')];
        for (const options of [published, builtIn]) {
          const r = await accept(file, options);
          expect(r, file).toMatchObject({ format: 'xarf-v4', confidence: 'high', category: expected });
          expect(r.eventTime, file).toBeInstanceOf(Date);
          expect(r.sourceIps.length + r.reportedDomains.length + r.reportedUrls.length, file).toBeGreaterThan(0);
          expect(r.warnings.filter((w) => w.startsWith('schema:')), file).toEqual([]);
        }
      }
    });

    it('our zod schemas and the published schemas agree on single-field mutations of every sample', async () => {
      const ajv = await validator(loadPublishedXarfV4(dirs.xarfV4));
      const values: unknown[] = ['', 12345, 'not valid', -1, true, null, [], {}, 'x'.repeat(1200), '2024-13-45T99:00:00Z', 0, 'tcp', '192.0.2.1'];
      const disagreements: string[] = [];
      let checked = 0;
      for (const file of samples) {
        const doc = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
        const variants: [string, unknown][] = [];
        for (const [key, value] of Object.entries(doc)) {
          const { [key]: _drop, ...without } = doc;
          variants.push([`-${key}`, without]);
          for (const v of values) variants.push([`${key}=${JSON.stringify(v).slice(0, 20)}`, { ...doc, [key]: v }]);
          if (value && typeof value === 'object' && !Array.isArray(value)) {
            for (const inner of Object.keys(value)) {
              const { [inner]: _gone, ...rest } = value as Record<string, unknown>;
              variants.push([`-${key}.${inner}`, { ...doc, [key]: rest }]);
              for (const v of values) variants.push([`${key}.${inner}=${JSON.stringify(v).slice(0, 20)}`, { ...doc, [key]: { ...value, [inner]: v } }]);
            }
          }
        }
        for (const [name, variant] of variants) {
          checked++;
          const a = ajv.validate(variant).valid;
          const z = validateXarfV4(variant).valid;
          if (a !== z) disagreements.push(`${path.basename(file)} ${name}: published ${a}, zod ${z}`);
        }
      }
      expect(checked).toBeGreaterThan(5000);
      expect(disagreements).toEqual([]);
    }, 60_000);
  });

  describe('X-ARF v3 samples (xarf-spec v3 and abusix)', () => {
    const positives = [...jsonIn('xarf-spec/samples/v3'), ...jsonIn('abusix-xarf/samples/positive')];

    it('are accepted leniently with a warning and map to the expected category', async () => {
      expect(positives).toHaveLength(Object.keys(V3_EXPECTED).length);
      for (const file of positives) {
        const r = await accept(file);
        expect(r, file).toMatchObject({ format: 'xarf-v3', confidence: 'medium', category: V3_EXPECTED[path.basename(file, '.json')] });
        expect(r.warnings.some((w) => /^X-ARF v3 \((abusix|xarf-spec) dialect\) is deprecated/.test(w)), file).toBe(true);
        expect(r.warnings.filter((w) => w.startsWith('schema:')), `our v3 schema rejects a published positive sample: ${file}`).toEqual([]);
      }
    });

    it('every abusix negative sample is refused or carries the schema violation as a warning', async () => {
      const negatives = jsonIn('abusix-xarf/samples/negative');
      expect(negatives.length).toBeGreaterThan(40);
      let refused = 0;
      for (const file of negatives) {
        const outcome = await parseReport(readFileSync(file), {}, published);
        if (!outcome.ok) {
          refused++;
          expect(outcome.format, file).toBe('xarf-v3');
        } else {
          expect(outcome.report.warnings.filter((w) => w.startsWith('schema:')).length, file).toBeGreaterThan(0);
        }
      }
      expect(refused).toBeGreaterThan(5);
    });
  });

  describe('X-ARF 0.2 schemata', () => {
    it('load (draft 02 translated) except two broken unstable drafts, each skipped with its reason', async () => {
      const v02 = await validator(loadPublishedXarf02(dirs.xarf02));
      expect(v02.skipped).toHaveLength(2);
      expect(v02.skipped[0]).toMatch(/^info_unstable\.json: .*JSON/); // a missing comma
      expect(v02.skipped[1]).toMatch(/^virus_bot_unstable\.json: schema is invalid/); // "type": "email"
    });

    it('our own 0.2 fixtures are judged the same by the published schemata and our zod schemas', async () => {
      const v02 = await validator(loadPublishedXarf02(dirs.xarf02));
      const cases: [string, boolean][] = [['login-attack.eml', true], ['malware-attack.yaml', true], ['fraud-rfc2822-date.eml', false]];
      for (const [name, valid] of cases) {
        const text = readFileSync(path.join(fixtures, 'xarf-0.2', name), 'utf8');
        const yamlPart = text.slice(text.indexOf('---\n'));
        const doc = (await import('yaml')).parse(yamlPart.split(/\n--/)[0]!) as Record<string, unknown>;
        expect(v02.validate(doc).valid, `published: ${name}`).toBe(valid);
        expect(validateXarf02(doc).valid, `zod: ${name}`).toBe(valid);
        const r = await accept(path.join(fixtures, 'xarf-0.2', name));
        expect(r.format).toBe('xarf-0.2');
        expect(r.warnings.some((w) => w.startsWith('schema:')), name).toBe(!valid);
      }
    });
  });

  describe('ARF mails (sisimai)', () => {
    const mails = files(path.join(corpus, 'sisimai-set-of-emails')).filter((f) => f.endsWith('.eml'));
    // Independent oracle: the fields as written in the raw feedback-report part.
    const field = (raw: string, name: string) => [...raw.matchAll(new RegExp(`^${name}:[ \\t]*(.+?)\\s*$`, 'gim'))].map((m) => m[1]!);

    it('give Source-IP, Arrival-Date, Reported-Domain and Reported-Uri when present', async () => {
      let withFeedback = 0;
      for (const file of mails) {
        const raw = readFileSync(file, 'latin1').replace(/\r\n?/g, '\n');
        if (!/^Content-Type:\s*message\/feedback-report/im.test(raw)) continue;
        withFeedback++;
        const feedback = raw.slice(raw.search(/^Content-Type:\s*message\/feedback-report/im)).split(/\n--/)[0]!;
        const r = await accept(file);
        expect(r.format, file).toBe('arf');
        const [sourceIp] = field(feedback, 'Source-IP');
        if (sourceIp) expect(r.sourceIps[0]?.address, file).toBe(sourceIp);
        else expect(r.warnings.some((w) => w.startsWith('no Source-IP field')), file).toBe(true);
        const [arrival] = field(feedback, 'Arrival-Date');
        if (arrival) expect(r.eventTime?.getTime(), file).toBe(Date.parse(arrival));
        for (const domain of field(feedback, 'Reported-Domain')) expect(r.reportedDomains, file).toContain(domain.toLowerCase());
        for (const uri of field(feedback, 'Reported-Uri').filter((u) => /^https?:/i.test(u))) expect(r.reportedUrls, file).toContain(new URL(uri).href);
      }
      expect(withFeedback).toBe(15); // 13 in bsd/ plus the dos/ and mac/ copies of arf-01
    });

    it('the CRLF and CR-only copies of arf-01 parse exactly like the LF one', async () => {
      const [bsd, dos, mac] = await Promise.all(['bsd', 'dos', 'mac'].map((d) => accept(path.join(corpus, 'sisimai-set-of-emails/maildir', d, 'arf-01.eml'))));
      expect(bsd).toMatchObject({ format: 'arf', category: 'spam', sourceIps: [{ address: '192.0.2.89' }], reportedDomains: ['example.ed.jp'] });
      expect(dos).toEqual(bsd);
      expect(mac).toEqual(bsd);
    });
  });

  it('the whole corpus: every file gets an outcome, and the command counts them all', async () => {
    const all = files(corpus);
    const outcomes: ParseOutcome[] = [];
    for (const file of all) outcomes.push(await parseReport(readFileSync(file), { filename: path.basename(file) }, published));
    expect(outcomes).toHaveLength(all.length);
    for (const o of outcomes) expect(o.ok || (typeof o.error === 'string' && o.error.length > 0)).toBe(true);
    const lines: string[] = [];
    const summary = await parseFiles([corpus], (l) => lines.push(l), { json: true, parseOptions: published });
    expect(summary.files).toBe(all.length);
    expect(summary.parsed).toBe(outcomes.filter((o) => o.ok).length);
    expect(lines.at(-1)).toBe(`${summary.files} files, ${summary.parsed} parsed, ${summary.failed} failed`);
  }, 60_000);
});
