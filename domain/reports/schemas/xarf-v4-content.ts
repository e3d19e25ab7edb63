// X-ARF v4 content types, from the published type schemas' fields; all share the content-base fields.
import { z } from 'zod';
import { count, dateTime, email, fullDate, ipv4, ipv6, port, share, uri } from './formats';
import { xarfV4Core } from './xarf-v4-core';

const of = <const T extends readonly [string, ...string[]]>(values: T) => z.enum(values);
const hex = (n: number) => z.string().regex(new RegExp(`^[a-fA-F0-9]{${n}}$`), `must be ${n} hex digits`);
const cve = z.string().regex(/^CVE-\d{4}-\d{4,}$/, 'must be a CVE id');
const countryCode = z.string().regex(/^[A-Z]{2}$/, 'must be a two-letter country code');

const contentBase = xarfV4Core.extend({
  category: z.literal('content'),
  url: uri,
  domain: z.string().regex(/^([a-z0-9]+(-[a-z0-9]+)*\.)+[a-z]{2,}$/, 'must be a lower-case domain name').optional(),
  registrar: z.string().optional(),
  nameservers: z.array(z.string()).optional(),
  dns_records: z
    .looseObject({
      a: z.array(ipv4).optional(),
      aaaa: z.array(ipv6).optional(),
      mx: z.array(z.string()).optional(),
      txt: z.array(z.string()).optional(),
    })
    .optional(),
  screenshot_url: uri.optional(),
  verified_at: dateTime.optional(),
  verification_method: of(['manual', 'automated_crawler', 'user_report', 'honeypot', 'threat_intelligence']).optional(),
  attack_vector: of(['phishing', 'malware', 'fraud', 'brand_infringement', 'copyright_infringement', 'data_leak', 'remote_compromise', 'suspicious_registration']).optional(),
  target_brand: z.string().optional(),
  hosting_provider: z.string().optional(),
  asn: z.int().min(1).max(4_294_967_295).optional(),
  country_code: countryCode.optional(),
  ssl_certificate: z
    .looseObject({
      issuer: z.string().optional(),
      subject: z.string().optional(),
      valid_from: dateTime.optional(),
      valid_to: dateTime.optional(),
      fingerprint: z.string().optional(),
    })
    .optional(),
  whois: z
    .looseObject({
      registrant: z.string().optional(),
      created_date: dateTime.optional(),
      updated_date: dateTime.optional(),
      expiry_date: dateTime.optional(),
      registrar_abuse_contact: email.optional(),
    })
    .optional(),
  dns_response: z
    .looseObject({
      query_time: dateTime.optional(),
      authoritative: z.boolean().optional(),
      response_code: of(['NOERROR', 'NXDOMAIN', 'SERVFAIL', 'REFUSED']).optional(),
    })
    .optional(),
});

export const contentPhishing = contentBase.extend({
  type: z.literal('phishing'),
  credential_fields: z.array(z.string()).optional(),
  phishing_kit: z.string().optional(),
  redirect_chain: z.array(uri).optional(),
  submission_url: uri.optional(),
  cloned_site: uri.optional(),
  detection_evasion: z
    .array(of(['geo_blocking', 'user_agent_filtering', 'referrer_checking', 'captcha', 'time_based_display', 'ip_blacklisting', 'obfuscation', 'other']))
    .optional(),
  lure_type: of([
    'account_suspension', 'security_alert', 'payment_issue', 'prize_notification', 'document_share',
    'password_reset', 'shipping_notification', 'tax_refund', 'other',
  ]).optional(),
});

export const contentMalware = contentBase.extend({
  type: z.literal('malware'),
  malware_family: z.string().optional(),
  malware_type: of([
    'trojan', 'ransomware', 'dropper', 'loader', 'backdoor', 'rootkit', 'infostealer', 'banking_trojan',
    'cryptominer', 'adware', 'spyware', 'worm', 'bot', 'rat', 'other',
  ]).optional(),
  file_hashes: z.looseObject({ md5: hex(32).optional(), sha1: hex(40).optional(), sha256: hex(64).optional(), ssdeep: z.string().optional() }).optional(),
  file_metadata: z
    .looseObject({ filename: z.string().optional(), file_size: count(0).optional(), file_type: z.string().optional(), mime_type: z.string().optional() })
    .optional(),
  distribution_method: of([
    'direct_download', 'drive_by_download', 'email_attachment', 'malvertising', 'exploit_kit',
    'watering_hole', 'supply_chain', 'social_engineering', 'other',
  ]).optional(),
  c2_servers: z
    .array(z.looseObject({ address: z.string().optional(), port: port.optional(), protocol: of(['http', 'https', 'tcp', 'udp', 'dns', 'other']).optional() }))
    .optional(),
  sandbox_analysis: z
    .looseObject({
      sandbox_name: z.string().optional(),
      analysis_url: uri.optional(),
      verdict: of(['malicious', 'suspicious', 'clean', 'unknown']).optional(),
      score: z.number().min(0).max(100).optional(),
    })
    .optional(),
  exploit_cve: z.array(cve).optional(),
  persistence_mechanism: z.array(of(['registry', 'scheduled_task', 'service', 'startup_folder', 'dll_hijacking', 'wmi', 'other'])).optional(),
  targeted_platforms: z.array(of(['windows', 'linux', 'macos', 'android', 'ios', 'multi_platform'])).optional(),
});

export const contentCsam = contentBase.extend({
  type: z.literal('csam'),
  classification: of(['baseline', 'A1', 'A2', 'B1', 'B2']),
  media_type: of(['image', 'video', 'audio', 'text', 'mixed']).optional(),
  detection_method: of(['hash_match', 'ai_detection', 'manual_review', 'user_report', 'automated_scan']),
  hash_values: z
    .looseObject({ md5: hex(32).optional(), sha1: hex(40).optional(), sha256: hex(64).optional(), photodna: z.string().optional() })
    .optional(),
  ncmec_report_id: z.string().optional(),
  content_removed: z.boolean().optional(),
  account_suspended: z.boolean().optional(),
});

export const contentCsem = contentBase.extend({
  type: z.literal('csem'),
  exploitation_type: of(['grooming', 'solicitation', 'sextortion', 'trafficking', 'distribution', 'production', 'possession']),
  victim_age_range: of(['infant', 'toddler', 'prepubescent', 'pubescent', 'unknown']).optional(),
  platform: of(['social_media', 'messaging_app', 'gaming_platform', 'forum', 'email', 'darkweb', 'other']).optional(),
  detection_method: of(['behavioral_analysis', 'keyword_detection', 'user_report', 'ai_detection', 'manual_review', 'law_enforcement_referral']),
  evidence_type: z.array(of(['chat_logs', 'images', 'videos', 'user_profile', 'metadata'])).optional(),
  perpetrator_indicators: z
    .looseObject({ account_id: z.string().optional(), ip_addresses: z.array(ipv4).optional(), pattern_of_behavior: z.string().optional() })
    .optional(),
  reporting_obligations: z
    .array(of(['NCMEC', 'IWF', 'local_law_enforcement', 'europol', 'interpol', 'platform_safety_team', 'other']))
    .optional(),
});

export const contentExposedData = contentBase.extend({
  type: z.literal('exposed_data'),
  data_types: z
    .array(of([
      'personal_information', 'credentials', 'financial', 'medical', 'government_id', 'email_addresses', 'phone_numbers',
      'api_keys', 'database_dumps', 'source_code', 'internal_documents', 'customer_data', 'employee_data',
      'intellectual_property', 'other',
    ]))
    .min(1),
  exposure_method: of([
    'misconfigured_server', 'open_directory', 'database_exposure', 'git_repository', 'backup_file', 'log_file',
    'cloud_storage', 'paste_site', 'forum_post', 'ransomware_leak', 'intentional_leak', 'other',
  ]),
  record_count: count(0).optional(),
  affected_organization: z.string().optional(),
  data_format: of(['plaintext', 'csv', 'json', 'xml', 'sql', 'excel', 'pdf', 'mixed', 'other']).optional(),
  sensitive_fields: z.array(z.string()).optional(),
  encryption_status: of(['unencrypted', 'encrypted', 'partially_encrypted', 'hashed', 'unknown']).optional(),
  accessibility: of(['public', 'requires_authentication', 'requires_payment', 'dark_web', 'removed']).optional(),
  discovery_source: of(['security_researcher', 'automated_scan', 'breach_monitoring', 'user_report', 'law_enforcement', 'threat_intelligence', 'other']).optional(),
  sample_records: z.array(z.looseObject({ redacted_sample: z.string().optional() })).max(5).optional(),
});

export const contentBrandInfringement = contentBase.extend({
  type: z.literal('brand_infringement'),
  infringement_type: of([
    'counterfeit', 'typosquatting', 'lookalike', 'homograph', 'unauthorized_reseller', 'trademark_violation',
    'brand_impersonation', 'logo_misuse', 'other',
  ]),
  legitimate_site: uri,
  similarity_score: share.optional(),
  trademark_details: z
    .looseObject({
      registration_number: z.string().optional(),
      jurisdiction: z.string().optional(),
      category: z.array(z.int().min(1).max(45)).optional(),
    })
    .optional(),
  infringing_elements: z
    .array(of(['logo', 'brand_name', 'tagline', 'color_scheme', 'layout', 'product_images', 'domain_name', 'other']))
    .optional(),
  products_offered: z.array(z.string()).optional(),
  previous_enforcement: z
    .array(
      z.looseObject({
        date: fullDate.optional(),
        action: of(['cease_desist', 'takedown_notice', 'domain_dispute', 'legal_action', 'other']).optional(),
        result: z.string().optional(),
      }),
    )
    .optional(),
});

export const contentFraud = contentBase.extend({
  type: z.literal('fraud'),
  fraud_type: of([
    'investment', 'romance', 'tech_support', 'lottery', 'advance_fee', 'cryptocurrency', 'shopping', 'charity',
    'employment', 'government_impersonation', 'other',
  ]),
  payment_methods: z
    .array(of([
      'credit_card', 'bank_transfer', 'cryptocurrency', 'gift_cards', 'wire_transfer', 'paypal', 'western_union',
      'moneygram', 'cashapp', 'venmo', 'other',
    ]))
    .optional(),
  cryptocurrency_addresses: z
    .array(z.looseObject({ currency: of(['bitcoin', 'ethereum', 'usdt', 'bnb', 'monero', 'other']), address: z.string() }))
    .optional(),
  claimed_entity: z.string().optional(),
  loss_amount: z
    .looseObject({ currency: z.string().regex(/^[A-Z]{3}$/, 'must be a currency code').optional(), amount: z.number().min(0).optional() })
    .optional(),
});

export const contentRemoteCompromise = contentBase.extend({
  type: z.literal('remote_compromise'),
  compromise_type: of([
    'webshell', 'backdoor', 'defacement', 'malicious_redirect', 'seo_spam', 'cryptominer', 'phishing_kit',
    'malware_host', 'c2_server', 'proxy', 'scanner', 'other',
  ]),
  compromise_indicators: z
    .array(
      z.looseObject({
        type: of(['file_path', 'process', 'network_connection', 'user_account', 'scheduled_task', 'registry_key', 'service']),
        value: z.string(),
      }),
    )
    .optional(),
  webshell_details: z
    .looseObject({
      family: z.string().optional(),
      capabilities: z
        .array(of(['file_manager', 'command_execution', 'database_access', 'network_scanning', 'privilege_escalation', 'persistence', 'other']))
        .optional(),
      password_protected: z.boolean().optional(),
    })
    .optional(),
  affected_cms: of(['wordpress', 'joomla', 'drupal', 'magento', 'prestashop', 'opencart', 'custom', 'unknown', 'other']).optional(),
  vulnerability_exploited: z.looseObject({ cve: cve.optional(), component: z.string().optional() }).optional(),
  persistence_mechanisms: z
    .array(of(['cron_job', 'modified_core_files', 'hidden_admin_account', 'autoload_backdoor', 'htaccess_modification', 'database_backdoor', 'other']))
    .optional(),
  malicious_activities: z
    .array(of([
      'spam_sending', 'ddos_attacks', 'cryptocurrency_mining', 'data_exfiltration', 'lateral_movement',
      'hosting_malware', 'hosting_phishing', 'scanning', 'other',
    ]))
    .optional(),
  cleanup_status: of(['not_cleaned', 'partially_cleaned', 'cleaned', 'reinfected', 'unknown']).optional(),
});

export const contentSuspiciousRegistration = contentBase.extend({
  type: z.literal('suspicious_registration'),
  registration_date: dateTime,
  days_since_registration: count(0).optional(),
  suspicious_indicators: z
    .array(of([
      'typosquatting', 'homograph_attack', 'brand_keyword', 'suspicious_tld', 'bulk_registration', 'privacy_protection',
      'suspicious_registrant', 'fast_flux', 'dga_pattern', 'known_bad_nameserver', 'suspicious_ssl_cert',
      'immediate_activation', 'parked_page', 'other',
    ]))
    .min(1),
  risk_score: share.optional(),
  targeted_brands: z.array(z.string()).optional(),
  registrant_details: z
    .looseObject({
      email_domain: z.string().optional(),
      country: countryCode.optional(),
      privacy_protected: z.boolean().optional(),
      bulk_registrations: z.int().optional(),
    })
    .optional(),
  related_domains: z
    .array(
      z.looseObject({
        domain: z.string().optional(),
        relationship: of(['same_registrant', 'same_nameserver', 'same_ip', 'same_ssl_cert', 'similar_pattern', 'same_campaign']).optional(),
      }),
    )
    .max(20)
    .optional(),
  predicted_usage: z.array(of(['phishing', 'malware', 'spam', 'fraud', 'brand_abuse', 'botnet_c2', 'unknown'])).optional(),
  ssl_certificate_details: z
    .looseObject({ issued_immediately: z.boolean().optional(), free_certificate: z.boolean().optional(), wildcard: z.boolean().optional() })
    .optional(),
  activation_behavior: z
    .looseObject({
      time_to_activation: z.int().optional(),
      initial_content: of(['parked', 'under_construction', 'immediate_malicious', 'cloned_site', 'blank', 'other']).optional(),
    })
    .optional(),
});
