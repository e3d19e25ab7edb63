// X-ARF v4 messaging, connection, vulnerability, reputation and infrastructure types, from the published type schemas' fields.
import { z } from 'zod';
import { count, dateTime, email, ipAddress, port, text, uri } from './formats';
import { requirePortForIpSource, requireSmtpFields, xarfV4Core } from './xarf-v4-core';

const of = <const T extends readonly [string, ...string[]]>(values: T) => z.enum(values);

const messaging = xarfV4Core.extend({ category: z.literal('messaging') });
const connection = xarfV4Core.extend({
  category: z.literal('connection'),
  destination_ip: ipAddress.optional(),
  destination_port: port.optional(),
  first_seen: dateTime,
  last_seen: dateTime.optional(),
});
const tcpOrUdp = of(['tcp', 'udp']);
const l4 = of(['tcp', 'udp', 'icmp', 'sctp']);

export const messagingSpam = messaging
  .extend({
    type: z.literal('spam'),
    evidence_source: of(['spamtrap', 'user_complaint', 'automated_filter', 'honeypot', 'content_analysis', 'reputation_feed']).optional(),
    protocol: of(['smtp', 'sms', 'whatsapp', 'telegram', 'signal', 'chat', 'social_media', 'push_notification', 'other']),
    smtp_from: email.optional(),
    smtp_to: email.optional(),
    subject: text(500).optional(),
    sender_name: text(200).optional(),
    message_id: text(200).optional(),
    user_agent: text(200).optional(),
    recipient_count: count(1).optional(),
    language: z.string().regex(/^[a-z]{2}(-[A-Z]{2})?$/, 'must be a language tag like en or en-GB').optional(),
    spam_indicators: z
      .strictObject({ suspicious_links: z.array(uri).optional(), commercial_content: z.boolean().optional(), bulk_characteristics: z.boolean().optional() })
      .optional(),
  })
  .superRefine(requireSmtpFields);

export const messagingBulk = messaging
  .extend({
    type: z.literal('bulk_messaging'),
    evidence_source: of(['user_complaint', 'automated_filter', 'reputation_feed', 'volume_analysis']).optional(),
    protocol: of(['smtp', 'sms', 'whatsapp', 'telegram', 'social_media', 'push_notification', 'other']),
    smtp_from: email.optional(),
    subject: text(500).optional(),
    sender_name: text(200).optional(),
    recipient_count: count(100),
    unsubscribe_provided: z.boolean().optional(),
    opt_in_evidence: z.boolean().optional(),
    bulk_indicators: z
      .strictObject({ high_volume: z.boolean().optional(), template_based: z.boolean().optional(), commercial_sender: z.boolean().optional() })
      .optional(),
  })
  .superRefine(requireSmtpFields);

export const connectionLoginAttack = connection.extend({ type: z.literal('login_attack'), protocol: l4 }).superRefine(requirePortForIpSource);
export const connectionPortScan = connection.extend({ type: z.literal('port_scan'), protocol: l4 }).superRefine(requirePortForIpSource);

export const connectionDdos = connection
  .extend({
    type: z.literal('ddos'),
    evidence_source: of(['firewall_logs', 'ids_detection', 'flow_analysis', 'traffic_monitoring', 'honeypot']).optional(),
    protocol: l4,
    attack_vector: z.string().optional(),
    peak_pps: count(1).optional(),
    peak_bps: count(1).optional(),
    duration_seconds: count(1).optional(),
    amplification_factor: z.number().min(1).optional(),
    threshold_exceeded: dateTime.optional(),
    mitigation_applied: z.boolean().optional(),
    service_impact: of(['none', 'degraded', 'unavailable']).optional(),
  })
  .superRefine(requirePortForIpSource);

export const connectionInfectedHost = connection.extend({
  type: z.literal('infected_host'),
  protocol: tcpOrUdp,
  bot_type: of(['search_engine', 'ai_agent', 'monitoring', 'seo_analyzer', 'link_checker', 'feed_reader', 'social_media', 'advertising', 'malicious', 'unknown']),
  bot_name: z.string().optional(),
  user_agent: z.string().optional(),
  behavior_pattern: of([
    'legitimate_crawling', 'aggressive_crawling', 'api_abuse', 'form_submission', 'comment_spam',
    'account_creation', 'content_harvesting', 'vulnerability_probing', 'mixed',
  ]).optional(),
  request_rate: z.number().optional(),
  total_requests: count(1).optional(),
  respects_robots_txt: z.boolean().optional(),
  follows_crawl_delay: z.boolean().optional(),
  javascript_execution: z.boolean().optional(),
  accepts_cookies: z.boolean().optional(),
  api_endpoints_accessed: z.array(z.string()).optional(),
  verification_status: of(['verified', 'unverified', 'spoofed', 'unknown']).optional(),
});

export const connectionReconnaissance = connection.extend({
  type: z.literal('reconnaissance'),
  protocol: tcpOrUdp,
  probed_resources: z.array(z.string()),
  resource_categories: z
    .array(of([
      'environment_files', 'version_control', 'configuration_files', 'backup_files', 'admin_panels', 'database_files',
      'log_files', 'credential_files', 'api_endpoints', 'debug_endpoints', 'other',
    ]))
    .optional(),
  http_methods: z.array(of(['GET', 'POST', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE', 'CONNECT'])).optional(),
  response_codes: z.array(z.int()).optional(),
  successful_probes: z.array(z.string()).optional(),
  user_agent: z.string().optional(),
  total_probes: count(1).optional(),
  automated_tool: z.boolean().optional(),
});

export const connectionScraping = connection.extend({
  type: z.literal('scraping'),
  protocol: tcpOrUdp,
  scraping_pattern: of(['sequential', 'random', 'targeted', 'sitemap_following', 'api_harvesting', 'deep_crawling', 'breadth_first', 'depth_first']).optional(),
  target_content: of([
    'product_data', 'pricing_information', 'user_profiles', 'contact_information', 'news_articles', 'images',
    'documents', 'api_data', 'search_results', 'general_content', 'other',
  ]).optional(),
  user_agent: z.string().optional(),
  bot_signature: z.string().optional(),
  request_rate: z.number().optional(),
  total_requests: count(1),
  unique_urls: count(1).optional(),
  data_volume: z.int().optional(),
  respects_robots_txt: z.boolean().optional(),
  session_duration: z.int().optional(),
  concurrent_connections: z.int().optional(),
});

export const connectionSqlInjection = connection.extend({
  type: z.literal('sql_injection'),
  protocol: tcpOrUdp,
  http_method: of(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS']).optional(),
  target_url: uri.optional(),
  injection_point: of(['query_parameter', 'post_body', 'cookie', 'header', 'path', 'json_parameter']).optional(),
  payload_sample: text(1000).optional(),
  attack_technique: of(['union_based', 'error_based', 'boolean_blind', 'time_blind', 'stacked_queries', 'out_of_band', 'second_order', 'other']).optional(),
  attempts_count: count(1).optional(),
});

export const connectionVulnerabilityScan = connection.extend({
  type: z.literal('vulnerability_scan'),
  destination_port: z.unknown().optional(), // not among this type's fields, so any value passes
  scan_type: of(['port_scan', 'vulnerability_scan', 'version_detection', 'os_fingerprinting', 'service_enumeration', 'web_vuln_scan', 'directory_brute_force', 'mixed']),
  scanner_signature: z.string().optional(),
  targeted_ports: z.array(port).optional(),
  targeted_services: z.array(z.string()).optional(),
  vulnerabilities_probed: z.array(z.string()).optional(),
  scan_rate: z.number().optional(),
  protocol: of(['tcp', 'udp', 'icmp', 'mixed']),
  total_requests: count(1).optional(),
  user_agent: z.string().optional(),
});

const cveId = z.string().regex(/^CVE-[0-9]{4}-[0-9]+$/, 'must be a CVE id');

export const vulnerabilityCve = xarfV4Core.extend({
  category: z.literal('vulnerability'),
  type: z.literal('cve'),
  evidence_source: of(['vulnerability_scan', 'researcher_analysis', 'automated_discovery', 'penetration_testing']).optional(),
  service: text(200),
  service_version: text(100).optional(),
  service_port: port,
  cve_id: cveId,
  cve_ids: z
    .array(cveId)
    .max(10)
    .refine((ids) => new Set(ids).size === ids.length, 'must not repeat an id')
    .optional(),
  cvss_score: z.number().min(0).max(10).optional(),
  cvss_vector: z.string().regex(/^CVSS:3\.[01]\/.*/, 'must be a CVSS 3.x vector').optional(),
  cvss_version: of(['2.0', '3.0', '3.1']).optional(),
  risk_level: of(['info', 'low', 'medium', 'high', 'critical']).optional(),
  severity: of(['informational', 'low', 'medium', 'high', 'critical']).optional(),
  exploitability: of(['theoretical', 'poc_available', 'functional', 'weaponized']).optional(),
  patch_available: z.boolean().optional(),
  patch_version: text(100).optional(),
  patch_url: uri.optional(),
  vendor_advisory: uri.optional(),
  disclosure_date: dateTime.optional(),
  impact_assessment: z
    .strictObject({
      confidentiality: of(['none', 'low', 'high']).optional(),
      integrity: of(['none', 'low', 'high']).optional(),
      availability: of(['none', 'low', 'high']).optional(),
    })
    .optional(),
  remediation_priority: of(['low', 'medium', 'high', 'critical', 'emergency']).optional(),
});

export const vulnerabilityOpenService = xarfV4Core.extend({ category: z.literal('vulnerability'), type: z.literal('open_service'), service: z.string() });
export const vulnerabilityMisconfiguration = xarfV4Core.extend({ category: z.literal('vulnerability'), type: z.literal('misconfiguration'), service: z.string() });

export const reputationBlocklist = xarfV4Core.extend({ category: z.literal('reputation'), type: z.literal('blocklist'), threat_type: z.string() });
export const reputationThreatIntelligence = xarfV4Core.extend({
  category: z.literal('reputation'),
  type: z.literal('threat_intelligence'),
  threat_type: z.string(),
});

export const infrastructureBotnet = xarfV4Core.extend({
  category: z.literal('infrastructure'),
  type: z.literal('botnet'),
  malware_family: text(200).optional(),
  c2_server: z.string().optional(),
  c2_protocol: of(['http', 'https', 'tcp', 'udp', 'dns', 'irc', 'p2p', 'custom']).optional(),
  bot_capabilities: z
    .array(of(['ddos', 'spam', 'proxy', 'keylogger', 'file_download', 'remote_shell', 'cryptocurrency_mining', 'data_theft']))
    .optional(),
  compromise_evidence: z.string(),
});

export const infrastructureCompromisedServer = xarfV4Core.extend({
  category: z.literal('infrastructure'),
  type: z.literal('compromised_server'),
  compromise_method: z.string(),
});
