import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseReport } from '../../domain/reports/detect';
import { fromDraft02 } from '../../domain/reports/published-schemas';
import { validateXarf02 } from '../../domain/reports/schemas/xarf-02';
import { validateXarfV3 } from '../../domain/reports/schemas/xarf-v3';
import { validateXarfV4 } from '../../domain/reports/schemas/xarf-v4';
import type { NormalisedReport, ParseOutcome } from '../../domain/reports/types';

const fixtures = fileURLToPath(new URL('../fixtures/reports/', import.meta.url));
const builtIn = { schemaDirs: { xarfV4: null, xarf02: null } };
const read = (name: string) => readFileSync(fixtures + name);
const json = (name: string) => JSON.parse(read(name).toString('utf8')) as Record<string, unknown>;

async function parsed(name: string): Promise<NormalisedReport> {
  const outcome = await parseReport(read(name), { filename: name }, builtIn);
  if (!outcome.ok) throw new Error(`${name}: ${outcome.error}`);
  return outcome.report;
}

async function refused(name: string): Promise<Extract<ParseOutcome, { ok: false }>> {
  const outcome = await parseReport(read(name), { filename: name }, builtIn);
  if (outcome.ok) throw new Error(`${name} was accepted`);
  return outcome;
}

describe('X-ARF v4', () => {
  it('normalises a schema-valid login attack with high confidence', async () => {
    const r = await parsed('xarf-v4/login-attack.json');
    expect(r).toMatchObject({
      format: 'xarf-v4',
      category: 'hacking_login_attack',
      reportedAs: 'connection/login_attack',
      sourceIps: [{ address: '93.184.216.34', version: 4, public: true }],
      sourcePort: 51234,
      eventTime: new Date('2026-03-02T08:15:00Z'),
      reporter: { org: 'Northwind Hosting CERT', email: 'cert@northwind.example', domain: 'northwind.example' },
      externalId: '3f1c2b7e-8d4a-4c1f-9e2b-5a6d7c8e9f01',
      confidence: 'high',
      warnings: [],
    });
    expect(r.evidenceSummary).toContain('412 failed SSH logins');
    expect(r.evidenceSummary).toContain('Failed password for root from 93.184.216.34'); // decoded base64 evidence
    expect(r.evidenceSummary).toContain('destination_port: 22');
  });

  it('takes the abusive URLs and domain of a phishing report, not the victim or the cloned site', async () => {
    const r = await parsed('xarf-v4/phishing-url.json');
    expect(r.category).toBe('phishing');
    expect(r.sourceIps).toEqual([]);
    expect(r.reportedUrls).toEqual([
      'https://login-contoso-verify.example.net/secure/signin.php?session=1',
      'https://collector.example.org/post.php',
      'http://bit.example/x1',
    ]);
    expect(r.reportedDomains).toEqual(['login-contoso-verify.example.net', 'collector.example.org', 'bit.example']);
    expect(r.eventTime?.toISOString()).toBe('2026-02-14T18:40:05.000Z');
    expect(r.evidenceSummary).toContain('sent by Phish Relay Service');
  });

  it('accepts a 4.0-era document leniently, with the schema problems as warnings', async () => {
    const r = await parsed('xarf-v4/lenient-4.0-era.json');
    expect(r.format).toBe('xarf-v4-lenient');
    expect(r.confidence).toBe('medium');
    expect(r.category).toBe('hacking_port_scan');
    expect(r.reportedAs).toBe('connection/vulnerability_scan');
    expect(r.sourceIps.map((i) => i.address)).toEqual(['2001:db8::7']);
    expect(r.eventTime?.toISOString()).toBe('2025-11-03T22:10:00.000Z');
    expect(r.warnings).toContain("timestamp '2025-11-03T22:10:00' has no time zone; read as UTC");
    expect(r.warnings).toContain('schema: report_id: must be a UUID');
    expect(r.warnings.some((w) => w.startsWith('schema: sender:'))).toBe(true);
  });

  it('refuses an unknown category/type pair with a clear error', async () => {
    const out = await refused('xarf-v4/unknown-type.json');
    expect(out.format).toBe('xarf-v4');
    expect(out.error).toContain("category/type 'connection/telepathy' is not defined");
  });

  it('reads an X-ARF v4 JSON sent as a mail attachment', async () => {
    const r = await parsed('xarf-v4/mail-attachment.eml');
    expect(r).toMatchObject({ format: 'xarf-v4', category: 'dos', sourcePort: 443, eventTime: new Date('2026-03-03T09:55:00Z') });
    expect(r.sourceIps.map((i) => i.address)).toEqual(['93.184.216.34']);
  });

  it('our zod schemas enforce type fields and the conditional rules', () => {
    const doc = json('xarf-v4/login-attack.json');
    expect(validateXarfV4(doc)).toEqual({ valid: true });
    const noPort = { ...doc };
    delete noPort.source_port;
    expect(validateXarfV4(noPort)).toEqual({ valid: false, issues: ['source_port: is required when source_identifier is an IP address'] });
    expect(validateXarfV4({ ...doc, protocol: 'carrier-pigeon' })).toMatchObject({ valid: false });
    expect(validateXarfV4({ ...doc, first_seen: '2026-02-30T10:00:00Z' })).toMatchObject({ valid: false });
    expect(validateXarfV4({ ...doc, tags: ['NoNamespace'] })).toMatchObject({ valid: false });
    expect(validateXarfV4({ ...doc, reporter: { org: 'x', contact: 'not-an-email', domain: 'x.example' } })).toMatchObject({ valid: false });
    const hostSource = { ...noPort, source_identifier: 'scanner.example.net' };
    expect(validateXarfV4(hostSource)).toEqual({ valid: true });
  });
});

describe('X-ARF v3', () => {
  it('converts the abusix dialect leniently with a deprecation warning', async () => {
    const r = await parsed('xarf-v3/abusix-portscan.json');
    expect(r).toMatchObject({
      format: 'xarf-v3',
      category: 'hacking_port_scan',
      reportedAs: 'Activity/PortScan',
      sourcePort: 40123,
      eventTime: new Date('2026-02-20T03:04:05Z'),
      reporter: { name: 'NOC Tailspin', org: 'Tailspin Monitoring', email: 'abuse@tailspin.example', domain: 'tailspin.example' },
      externalId: 'TS-2026-118',
      confidence: 'medium',
      warnings: ['X-ARF v3 (abusix dialect) is deprecated; converted leniently'],
    });
    expect(r.evidenceSummary).toContain('DROP IN=eth0 SRC=93.184.216.34');
  });

  it('converts the xarf-spec dialect (Report.Source, base64 attachments)', async () => {
    const r = await parsed('xarf-v3/spec-phishing.json');
    expect(r).toMatchObject({ format: 'xarf-v3', category: 'phishing', reportedUrls: ['http://woodgrove-login.example.org/verify/'] });
    expect(r.reportedDomains).toEqual(['woodgrove-login.example.org']);
    expect(r.evidenceSummary).toContain('<form action="/steal.php"></form>');
    expect(r.evidenceSummary).toContain('TargetBrand: Woodgrove Bank');
  });

  it('refuses a v3 report whose only source is not an address, saying why', async () => {
    const out = await refused('xarf-v3/no-source.json');
    expect(out).toEqual({
      ok: false,
      format: 'xarf-v3',
      error: "the report names no source: no valid IP address, URL or domain (Report.SourceIp: '999.1.2.3' is not an IPv4 or IPv6 address)",
    });
  });

  it('reports v3 field violations as schema issues', () => {
    const doc = json('xarf-v3/abusix-portscan.json');
    expect(validateXarfV3(doc)).toEqual({ valid: true, dialect: 'abusix' });
    const report = doc.Report as Record<string, unknown>;
    const bad = validateXarfV3({ ...doc, Report: { ...report, SourcePort: 'PORT1', Date: 'yesterday' } });
    expect(bad.valid).toBe(false);
    if (!bad.valid) expect(bad.issues.map((i) => i.split(':')[0])).toEqual(['Report.Date', 'Report.SourcePort']);
  });
});

describe('X-ARF 0.2', () => {
  it('reads the YAML part of an X-XARF mail and keeps the parts apart', async () => {
    const r = await parsed('xarf-0.2/login-attack.eml');
    expect(r).toMatchObject({
      format: 'xarf-0.2',
      category: 'hacking_login_attack',
      reportedAs: 'abuse/login-attack',
      sourceIps: [{ address: '93.184.216.34' }],
      eventTime: new Date('2026-03-01T10:22:33Z'),
      reporter: { name: 'Fail2Ban at bastion', email: 'fail2ban@bastion.tailspin.example' },
      externalId: '4711@bastion.tailspin.example',
      confidence: 'medium',
      warnings: [],
    });
    expect(r.evidenceSummary).toContain('Failed password for invalid user oracle'); // the evidence part
    expect(r.evidenceSummary).toContain('Grüße aus Zürich'); // the human part, charset decoded
  });

  it('finds the YAML part also when it is marked as an attachment', async () => {
    const text = read('xarf-0.2/login-attack.eml').toString('utf8');
    const marked = text.replace('name="report.txt"\n', 'name="report.txt"\nContent-Disposition: attachment; filename="report.txt"\n');
    expect(marked).not.toBe(text);
    const outcome = await parseReport(Buffer.from(marked), {}, builtIn);
    expect(outcome).toEqual({ ok: true, report: await parsed('xarf-0.2/login-attack.eml') });
  });

  it('accepts an RFC 2822 Date leniently and says it does not validate', async () => {
    const r = await parsed('xarf-0.2/fraud-rfc2822-date.eml');
    expect(r).toMatchObject({ category: 'phishing', reportedUrls: ['http://woodgrove-secure.example.net/login'], eventTime: new Date('2026-03-02T08:41:12Z') });
    expect(r.warnings).toContain('schema: Date: must be an RFC 3339 date-time with a time zone');
  });

  it('reads a bare YAML report', async () => {
    const r = await parsed('xarf-0.2/malware-attack.yaml');
    expect(r).toMatchObject({ format: 'xarf-0.2', category: 'compromised_host', sourceIps: [{ address: '2a00:1450:4001:80b::200e', version: 6 }] });
    expect(r.reportedUrls).toEqual(['http://198.51.100.77/bins/mirai.arm7']);
  });

  it('our 0.2 zod schema requires the family fields and the draft-02 dependencies', () => {
    const ok = {
      'Reported-From': 'a@example.com', 'Report-ID': '1@example.com', Category: 'abuse', 'Report-Type': 'login-attack',
      'User-Agent': 'x', Date: '2026-01-01T00:00:00Z', Source: '93.184.216.34', 'Source-Type': 'ipv4',
      'Schema-URL': 'http://www.x-arf.org/schema/abuse_login-attack_0.1.2.json', Service: 'ssh', Port: 22, Attachment: 'text/plain',
    };
    expect(validateXarf02(ok)).toEqual({ valid: true });
    const { Service: _service, ...noService } = ok;
    expect(validateXarf02(noService)).toMatchObject({ valid: false });
    expect(validateXarf02({ ...ok, Destination: '198.51.100.1' })).toEqual({ valid: false, issues: ['Destination-Type: is required when Destination is given'] });
  });

  it('translates draft-02 optional/requires into required/dependentRequired', () => {
    const modern = fromDraft02({
      type: 'object',
      properties: { A: { type: 'string' }, B: { type: 'string', optional: true, requires: 'C' }, C: { type: 'string', optional: true, format: 'ip-address' } },
    });
    expect(modern).toEqual({
      type: 'object',
      properties: { A: { type: 'string' }, B: { type: 'string' }, C: { type: 'string', format: 'ipv4' } },
      required: ['A'],
      dependentRequired: { B: ['C'] },
    });
  });
});
