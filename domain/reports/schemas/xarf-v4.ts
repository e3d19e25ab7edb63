// Our own X-ARF v4 validation: the core plus one schema per category/type, used when no published schema directory is configured.
import type { z } from 'zod';
import { issueLines } from './formats';
import * as content from './xarf-v4-content';
import * as copyright from './xarf-v4-copyright';
import { xarfV4Core } from './xarf-v4-core';
import * as network from './xarf-v4-network';

export const XARF_V4_TYPE_SCHEMAS: Record<string, Record<string, z.ZodType>> = {
  messaging: { spam: network.messagingSpam, bulk_messaging: network.messagingBulk },
  connection: {
    login_attack: network.connectionLoginAttack,
    port_scan: network.connectionPortScan,
    ddos: network.connectionDdos,
    infected_host: network.connectionInfectedHost,
    reconnaissance: network.connectionReconnaissance,
    scraping: network.connectionScraping,
    sql_injection: network.connectionSqlInjection,
    vulnerability_scan: network.connectionVulnerabilityScan,
  },
  vulnerability: {
    cve: network.vulnerabilityCve,
    open_service: network.vulnerabilityOpenService,
    misconfiguration: network.vulnerabilityMisconfiguration,
  },
  reputation: { blocklist: network.reputationBlocklist, threat_intelligence: network.reputationThreatIntelligence },
  infrastructure: { botnet: network.infrastructureBotnet, compromised_server: network.infrastructureCompromisedServer },
  content: {
    phishing: content.contentPhishing,
    malware: content.contentMalware,
    csam: content.contentCsam,
    csem: content.contentCsem,
    exposed_data: content.contentExposedData,
    brand_infringement: content.contentBrandInfringement,
    fraud: content.contentFraud,
    remote_compromise: content.contentRemoteCompromise,
    suspicious_registration: content.contentSuspiciousRegistration,
  },
  copyright: {
    copyright: copyright.copyrightCopyright,
    p2p: copyright.copyrightP2p,
    cyberlocker: copyright.copyrightCyberlocker,
    ugc_platform: copyright.copyrightUgcPlatform,
    link_site: copyright.copyrightLinkSite,
    usenet: copyright.copyrightUsenet,
  },
};

export type SchemaVerdict = { valid: true } | { valid: false; issues: string[] };

/** Validates a parsed JSON document as a complete X-ARF v4 report (core, category/type pair, type fields). */
export function validateXarfV4(doc: unknown): SchemaVerdict {
  const record = typeof doc === 'object' && doc !== null && !Array.isArray(doc) ? (doc as Record<string, unknown>) : null;
  const category = typeof record?.category === 'string' ? record.category : undefined;
  const type = typeof record?.type === 'string' ? record.type : undefined;
  const known = category !== undefined && type !== undefined;
  const schema = known ? XARF_V4_TYPE_SCHEMAS[category]?.[type] : undefined;
  const result = (schema ?? xarfV4Core).safeParse(doc);
  const issues = result.success ? [] : issueLines(result.error);
  if (!schema && known && XARF_V4_TYPE_SCHEMAS[category]) {
    issues.push(`type: '${type}' is not a type of category '${category}'`);
  }
  return issues.length ? { valid: false, issues } : { valid: true };
}
