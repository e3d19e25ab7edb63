// X-ARF v3 (deprecated JSON) in its two published dialects, written from their field definitions. Violations become warnings.
import { z } from 'zod';
import { dateTime, email, hostname, ipAddress, issueLines, uri } from './formats';
import type { SchemaVerdict } from './xarf-v4';

const port = z.int().min(0).max(65535);
const portOrPorts = z.union([port, z.array(port)]);

/** Organisations must say who they are; a natural person may stay unnamed (ReporterType/ComplainantType Person). */
function organisationFields(prefix: 'Reporter' | 'Complainant') {
  return (value: Record<string, unknown>, ctx: z.RefinementCtx) => {
    if (value[`${prefix}Type`] === 'Person') return;
    for (const field of [`${prefix}Org`, `${prefix}OrgDomain`, `${prefix}OrgEmail`]) {
      if (value[field] === undefined) ctx.addIssue({ code: 'custom', path: [field], message: 'is required for an organisation' });
    }
  };
}

const reporterInfo = z
  .strictObject({
    ReporterType: z.enum(['Org', 'Person']).optional(),
    ReporterOrg: z.string().min(3).optional(),
    ReporterOrgDomain: hostname.optional(),
    ReporterOrgEmail: email.optional(),
    ReporterOrgAddress: z.string().optional(),
    ReporterContactEmail: email.optional(),
    ReporterContactName: z.string().min(3).optional(),
    ReporterContactPhone: z.string().min(3).optional(),
  })
  .superRefine(organisationFields('Reporter'));

const onBehalfOf = z
  .looseObject({
    ComplainantType: z.enum(['Org', 'Person']).optional(),
    ComplainantOrg: z.string().min(3).optional(),
    ComplainantOrgDomain: hostname.optional(),
    ComplainantOrgEmail: email.optional(),
    ComplainantContactEmail: email.optional(),
    ComplainantContactName: z.string().min(3).optional(),
    ComplainantContactPhone: z.string().min(3).optional(),
  })
  .superRefine(organisationFields('Complainant'));

const hash = z.looseObject({
  HashValue: z.string(),
  HashAlgorithm: z.enum(['sha1', 'sha2', 'sha3', 'sha256', 'sha512', 'md5', 'argon2id', 'scrypt', 'bcrypt', 'pbkdf2']),
  HashComplete: z.boolean().optional(),
});

const file = z.looseObject({ FileName: z.string(), FileSize: z.int().min(0).optional(), FileHash: hash.optional() });
const payloadSample = z.looseObject({
  ContentType: z.string(),
  Base64Encoded: z.boolean().optional(),
  Description: z.string().optional(),
  Payload: z.string(),
});

const internalProcessing = z.looseObject({
  SubscriberInformation: z.looseObject({ ID: z.string().optional(), SubscriberData: z.record(z.string(), z.string()).optional() }).optional(),
  ContractInformation: z.looseObject({ ID: z.string().optional(), ResolverData: z.record(z.string(), z.string()).optional() }).optional(),
  EventTags: z.array(z.string()).optional(),
});

const cvss = z
  .looseObject({ Score: z.number().optional(), Version: z.enum(['3.1', '3.0', '2']), Vector: z.string(), Severity: z.string().optional() })
  .superRefine((v, ctx) => {
    // Version 2 and 3 vectors and severity names differ; a vector of the other version is a contradiction.
    const v2 = v.Version === '2';
    const vectorOk = v2 ? /^\(?AV:[LAN]\/AC:[HML]\/Au:[MSN]\/C:[NPC]\/I:[NPC]\/A:[NPC]/.test(v.Vector) : /^CVSS:3\.[01]\/AV:[NALP]\/AC:[LH]\/PR:[NLH]\/UI:[NR]\/S:[UC]\/C:[NLH]\/I:[NLH]\/A:[NLH]/.test(v.Vector);
    if (!vectorOk) ctx.addIssue({ code: 'custom', path: ['Vector'], message: `is not a CVSS ${v.Version} vector` });
    const severities = v2 ? ['Low', 'Medium', 'High'] : ['None', 'Low', 'Medium', 'High', 'Critical'];
    if (v.Severity !== undefined && !severities.includes(v.Severity)) ctx.addIssue({ code: 'custom', path: ['Severity'], message: `must be one of ${severities.join(', ')}` });
  });

const account = z
  .looseObject({
    AccountIdentifier: z.string().refine((s) => !z.email().safeParse(s).success, 'must not be an e-mail address (use AccountEmail)').optional(),
    AccountEmail: z.string().optional(),
  })
  .refine((a) => Object.keys(a).length > 0, 'must name the account');

/** Report types whose subject is an address; the rest may name an address or a URL. */
const IP_BASED = new Set(['Spam', 'DOS', 'PortScan', 'LoginAttack', 'Exploit']);
const REQUIRED_BY_TYPE: Record<string, string[]> = {
  Phishing: ['SourceUrl'],
  Copyright: ['InfringedMaterial'],
  Trademark: ['TrademarkedMaterial'],
  OpenService: ['ServiceName'],
  Harassment: ['Harasser', 'HarassmentDescription'],
  PotentiallyCompromisedAccount: ['Account'],
};
const KNOWN_TYPES = new Set([...IP_BASED, ...Object.keys(REQUIRED_BY_TYPE), 'Malware', 'Botnet', 'ChildAbuse', 'WebCrawler']);

const abusixReport = z
  .looseObject({
    ReportClass: z.enum(['Content', 'Activity', 'Vulnerability']),
    ReportType: z.string().min(1),
    ReportSubType: z.string().optional(),
    ReporterCaseID: z.string().optional(),
    ReporterSeverity: z.enum(['low', 'medium', 'high']).optional(),
    ReporterNotes: z.string().optional(),
    Custom: z.record(z.string(), z.union([z.string(), z.int()])).optional(),
    Date: dateTime,
    FirstSeen: dateTime.optional(),
    SourceIp: ipAddress.optional(),
    SourcePort: port.optional(),
    SourceUrl: uri.optional(),
    ASN: z.int().min(1).max(4_199_999_999).optional(),
    DestinationIp: ipAddress.optional(),
    DestinationPort: portOrPorts.optional(),
    AttackerIp: ipAddress.optional(),
    AttackerPort: portOrPorts.optional(),
    ByteCount: z.int().optional(),
    PacketCount: z.int().optional(),
    SmtpMailFromAddress: email.optional(),
    SmtpRcptToAddress: email.optional(),
    Ongoing: z.boolean().optional(),
    ThreatActor: z.string().optional(),
    Samples: z.array(z.union([payloadSample, file])).min(1).optional(),
    Account: account.optional(),
    PasswordHash: hash.optional(),
    CVE: z.string().regex(/^CVE-\d{4}-\d{4,7}$/, 'must be a CVE id').optional(),
    CVSS: cvss.optional(),
    ServiceName: z.string().optional(),
    ServiceVersion: z.string().optional(),
    TransportProtocol: z.enum(['tcp', 'udp']).optional(),
    Harasser: z.string().optional(),
    HarassmentDescription: z.string().optional(),
    HarassmentType: z.enum(['doxing', 'stalking', 'sexual', 'believes', 'defamation', 'extortion', 'hate']).optional(),
    HarassmentLocation: z.enum(['website', 'chat', 'game']).optional(),
    RpzDomain: hostname.optional(),
    MalwareName: z.string().optional(),
    BotnetName: z.string().optional(),
    InfringedMaterial: z.string().optional(),
    MaterialType: z.string().optional(),
    SharingProtocol: z.string().optional(),
    CourtOrder: uri.optional(),
    FileName: z.string().optional(),
    FileSize: z.int().min(0).optional(),
    FileHash: hash.optional(),
    TrademarkedMaterial: z.string().optional(),
    RegistrationOffice: z.string().optional(),
    RegistrationNumber: z.string().optional(),
  })
  .superRefine((r, ctx) => {
    if (!KNOWN_TYPES.has(r.ReportType)) ctx.addIssue({ code: 'custom', path: ['ReportType'], message: `'${r.ReportType}' is not an X-ARF v3 report type` });
    for (const field of REQUIRED_BY_TYPE[r.ReportType] ?? []) {
      if (r[field] === undefined) ctx.addIssue({ code: 'custom', path: [field], message: `is required for ${r.ReportType}` });
    }
    if (r.ReportType === 'PotentiallyCompromisedAccount') {
      if (r.SourceIp !== undefined || r.SourceUrl !== undefined) ctx.addIssue({ code: 'custom', path: ['SourceIp'], message: 'the account, not an address, is the subject (use AttackerIp)' });
    } else if (IP_BASED.has(r.ReportType) || r.ReportSubType === 'RPZ-Rewrite') {
      if (r.SourceIp === undefined) ctx.addIssue({ code: 'custom', path: ['SourceIp'], message: `is required for ${r.ReportType}` });
    } else if (r.SourceIp === undefined && r.SourceUrl === undefined) {
      ctx.addIssue({ code: 'custom', path: ['SourceIp'], message: 'SourceIp or SourceUrl is required' });
    }
  });

/** The abusix dialect: Version "3", a flat Report. */
export const xarfV3Abusix = z.looseObject({
  Version: z.literal('3'),
  Disclosure: z.boolean(),
  ReporterInfo: reporterInfo,
  OnBehalfOf: onBehalfOf.optional(),
  InternalProcessing: internalProcessing.optional(),
  Report: abusixReport,
});

/** The xarf-spec dialect: Version "3.0.0", Report.Source, Report.Attachment, Report.AdditionalInfo. */
export const xarfV3Spec = z.looseObject({
  Version: z.string().regex(/^3(\.\d+){0,2}$/, 'must be a 3.x version'),
  Disclosure: z.boolean().optional(),
  ReporterInfo: z.looseObject({
    ReporterOrg: z.string().max(200),
    ReporterOrgEmail: email,
    ReporterOrgDomain: hostname.optional(),
    ReporterContactEmail: email.optional(),
    ReporterContactName: z.string().optional(),
    ReporterContactPhone: z.string().optional(),
  }),
  Report: z.looseObject({
    ReportClass: z.string().min(1),
    ReportType: z.string().min(1),
    Date: dateTime,
    Source: z
      .looseObject({ IP: ipAddress.optional(), Port: port.optional(), URL: uri.optional(), Type: z.string().optional() })
      .refine((s) => s.IP !== undefined || s.URL !== undefined, 'must give an IP or a URL'),
    Attachment: z.array(z.looseObject({ ContentType: z.string(), Description: z.string().optional(), Data: z.string() })).optional(),
    AdditionalInfo: z.record(z.string(), z.unknown()).optional(),
  }),
});

export type XarfV3Dialect = 'abusix' | 'xarf-spec';

/** Which dialect a v3 document is written in: the xarf-spec one nests the source in Report.Source. */
export function xarfV3Dialect(doc: Record<string, unknown>): XarfV3Dialect {
  const report = doc.Report as Record<string, unknown> | undefined;
  return (report && typeof report.Source === 'object') || (typeof doc.Version === 'string' && /^3\.\d/.test(doc.Version)) ? 'xarf-spec' : 'abusix';
}

export function validateXarfV3(doc: Record<string, unknown>): SchemaVerdict & { dialect: XarfV3Dialect } {
  const dialect = xarfV3Dialect(doc);
  const result = (dialect === 'abusix' ? xarfV3Abusix : xarfV3Spec).safeParse(doc);
  return result.success ? { valid: true, dialect } : { valid: false, issues: issueLines(result.error), dialect };
}
