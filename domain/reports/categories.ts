// How every reporter vocabulary maps onto our categories. README.md shows the same tables; a unit test keeps them in step.
import type { ReportCategory } from './types';

/** X-ARF v4: every category/type pair of the published master schema. */
export const XARF_V4_CATEGORY_MAP = {
  messaging: { spam: 'spam', bulk_messaging: 'spam' },
  connection: {
    login_attack: 'hacking_login_attack',
    port_scan: 'hacking_port_scan',
    ddos: 'dos',
    infected_host: 'compromised_host',
    reconnaissance: 'hacking_port_scan',
    scraping: 'hacking_port_scan',
    sql_injection: 'hacking_exploitation',
    vulnerability_scan: 'hacking_port_scan',
  },
  vulnerability: { cve: 'vulnerable_service', open_service: 'vulnerable_service', misconfiguration: 'vulnerable_service' },
  reputation: { blocklist: 'compromised_host', threat_intelligence: 'compromised_host' },
  infrastructure: { botnet: 'compromised_host', compromised_server: 'compromised_host' },
  content: {
    phishing: 'phishing',
    malware: 'malware_hosting',
    csam: 'illegal_content',
    csem: 'illegal_content',
    exposed_data: 'vulnerable_service',
    brand_infringement: 'copyright',
    fraud: 'phishing',
    remote_compromise: 'compromised_host',
    suspicious_registration: 'phishing',
  },
  copyright: {
    copyright: 'copyright',
    p2p: 'copyright',
    cyberlocker: 'copyright',
    ugc_platform: 'copyright',
    link_site: 'copyright',
    usenet: 'copyright',
  },
} as const satisfies Record<string, Record<string, ReportCategory>>;

export type XarfV4Category = keyof typeof XARF_V4_CATEGORY_MAP;

/** Type names of 4.0-era drafts and the v3 migration table, accepted leniently. */
export const XARF_V4_TYPE_ALIASES: Record<string, string> = {
  'connection/vuln_scanning': 'vulnerability_scan',
  'connection/vuln_scan': 'vulnerability_scan',
  'vulnerability/open': 'open_service',
  'infrastructure/bot': 'botnet',
  'infrastructure/compromised_host': 'compromised_server',
};

/** Reputation reports say what the listing is for in `threat_type`; the listing itself is not the abuse. */
export const REPUTATION_THREAT_KEYWORDS: [RegExp, ReportCategory][] = [
  [/phish/i, 'phishing'],
  [/spam/i, 'spam'],
  [/command.?and.?control|\bc2\b|\bc&c\b|malware|ransom|trojan|dropper/i, 'malware_hosting'],
  [/ddos|\bdos\b|flood|amplif/i, 'dos'],
  [/brute|login|credential/i, 'hacking_login_attack'],
  [/scan|recon|crawl/i, 'hacking_port_scan'],
  [/exploit|inject|attack/i, 'hacking_exploitation'],
  [/bot|infect|compromis|proxy/i, 'compromised_host'],
];

export function xarfV4Category(category: string, type: string): ReportCategory | undefined {
  const types = (XARF_V4_CATEGORY_MAP as Record<string, Record<string, ReportCategory>>)[category];
  return types ? types[type] : undefined;
}

/** The reputation threat_type refines the category when it names a kind of abuse. */
export function reputationCategory(threatType: string | undefined): ReportCategory | undefined {
  if (!threatType) return undefined;
  return REPUTATION_THREAT_KEYWORDS.find(([re]) => re.test(threatType))?.[1];
}

/**
 * X-ARF v3 ReportType (both dialects: abusix "3" and xarf-spec "3.0.0"), compared lower-case without separators.
 * `malware` depends on the class: Content means hosted malware, Activity means an infected client (RPZ hits).
 */
export const XARF_V3_TYPE_MAP: Record<string, ReportCategory> = {
  spam: 'spam',
  loginattack: 'hacking_login_attack',
  portscan: 'hacking_port_scan',
  dos: 'dos',
  ddos: 'dos',
  phishing: 'phishing',
  malware: 'malware_hosting',
  botnet: 'compromised_host',
  copyright: 'copyright',
  trademark: 'copyright',
  childabuse: 'illegal_content',
  harassment: 'illegal_content',
  exploit: 'hacking_exploitation',
  openservice: 'vulnerable_service',
  potentiallycompromisedaccount: 'compromised_host',
  webcrawler: 'hacking_port_scan',
};

export function xarfV3Category(reportClass: string | undefined, reportType: string): ReportCategory | undefined {
  const key = reportType.toLowerCase().replace(/[^a-z]/g, '');
  if (key === 'malware' && reportClass && /^(activity|system|network)$/i.test(reportClass)) return 'compromised_host';
  return XARF_V3_TYPE_MAP[key];
}

/** X-ARF 0.2 Category/Report-Type pairs of the published schemata (and the unstable drafts). */
export const XARF_02_CATEGORY_MAP: Record<string, ReportCategory> = {
  'abuse/login-attack': 'hacking_login_attack',
  'auth/login-attack': 'hacking_login_attack',
  'abuse/malware-attack': 'compromised_host',
  'abuse/bot-infection': 'compromised_host',
  'abuse/grumbot-infection': 'compromised_host',
  'abuse/compromised-account': 'compromised_host',
  'fraud/phishing': 'phishing',
  'fraud/scam': 'phishing',
  'fraud/spam': 'spam',
  'fraud/infected': 'compromised_host',
  'fraud/defacement': 'compromised_host',
  'fraud/virus': 'malware_hosting',
  'info/dnsbl-listing': 'spam',
  'info/dnsbl-listed': 'spam',
  'info/login-attack': 'hacking_login_attack',
  'info/hack-attack': 'hacking_exploitation',
  'info/harvesting': 'hacking_port_scan',
  '*/spamvertized': 'spam',
  '*/nsvertized': 'spam',
};

export function xarf02Category(category: string, reportType: string): ReportCategory | undefined {
  const c = category.toLowerCase();
  const t = reportType.toLowerCase();
  return XARF_02_CATEGORY_MAP[`${c}/${t}`] ?? XARF_02_CATEGORY_MAP[`*/${t}`];
}

/**
 * ARF Feedback-Type (IANA registry: RFC 5965, RFC 6591, and the deprecated opt-out types).
 * `not-spam` is absent on purpose: it says the message was wanted, so there is nothing to act on.
 */
export const ARF_FEEDBACK_TYPE_MAP: Record<string, ReportCategory> = {
  abuse: 'spam',
  fraud: 'phishing',
  virus: 'compromised_host',
  'auth-failure': 'phishing',
  'opt-out': 'spam',
  'opt-out-list': 'spam',
  other: 'spam',
};

/** Free-text keywords per category; the subject counts double, the category with the highest score wins. */
export const FREE_TEXT_KEYWORDS: [ReportCategory, RegExp][] = [
  ['illegal_content', /\b(?:csam|child (?:sexual )?abuse|child pornography|illegal content|terroris[tm]|extremis[tm])\b/gi],
  ['phishing', /\b(?:phish\w*|credential harvest\w*|fake login|spoof(?:ed|ing)? (?:site|page|login))\b/gi],
  ['malware_hosting', /\b(?:malware|trojan|ransomware|virus|malicious (?:file|download|executable)|dropper|infostealer)\b/gi],
  ['dos', /\b(?:d?dos|denial[- ]of[- ]service|syn flood|udp flood|\w+ amplification|flood(?:ing)? attack)\b/gi],
  ['hacking_login_attack', /\b(?:brute[- ]?forc\w*|login attack\w*|failed (?:password|login)s?|invalid user|credential stuffing|dictionary attack|authentication failures?)\b/gi],
  ['hacking_port_scan', /\b(?:port ?scan\w*|scann(?:er|ing)|nmap|masscan|zmap|probing)\b/gi],
  ['hacking_exploitation', /\b(?:exploit\w*|sql injection|sqli|remote code execution|rce|xss|intrusion attempts?|hacking attempts?|attack(?:ed|ing)? (?:our|my) (?:server|site|host))\b/gi],
  ['copyright', /\b(?:copyright\w*|dmca|infring\w*|pira(?:cy|ted)|trademark|counterfeit)\b/gi],
  ['compromised_host', /\b(?:botnet|bot infection|infected (?:host|machine|server)|compromised|command and control|c2 server|webshell|defaced|hacked)\b/gi],
  ['vulnerable_service', /\b(?:open (?:resolver|relay|proxy|recursive)|vulnerab\w*|misconfigur\w*|exposed (?:service|database|port)|cve-\d{4}-\d+)\b/gi],
  ['spam', /\b(?:spam\w*|unsolicited|junk (?:mail|e-?mail)|bulk (?:mail|e-?mail)|unsubscribe)\b/gi],
];
