// What a decoder remembers between datagrams, per exporter address and observation domain (IPFIX) or source id
// (v9): templates, sampler rates from options data, the device's boot time. Bounded so a hostile sender cannot
// grow it without end.
import type { Template } from './template';

export interface StateLimits {
  exporters: number;
  domainsPerExporter: number;
  templatesPerDomain: number;
}

export const DEFAULT_LIMITS: StateLimits = { exporters: 10_000, domainsPerExporter: 256, templatesPerDomain: 4_096 };

export class DomainState {
  readonly templates = new Map<number, Template>();
  /** Sampler or selector id -> 1-in-N rate, from options data records that name one. */
  readonly samplerRates = new Map<number, number>();
  /** The rate announced without a sampler id (exporter-wide); 0 when none was. */
  defaultRate = 0;
  /** systemInitTimeMilliseconds (IPFIX 160) from options data: the base of flowStart/EndSysUpTime; 0 when unknown. */
  systemInitMs = 0;
}

export class ExporterState {
  readonly domains = new Map<number, DomainState>();
}

export class DecoderState {
  readonly exporters = new Map<string, ExporterState>();
  constructor(readonly limits: StateLimits = DEFAULT_LIMITS) {}

  /** The domain of a version's messages (v9 and IPFIX keep separate template spaces); undefined past the limits. */
  domain(exporter: string, version: number, domainId: number): DomainState | undefined {
    let e = this.exporters.get(exporter);
    if (!e) {
      if (this.exporters.size >= this.limits.exporters) return undefined;
      e = new ExporterState();
      this.exporters.set(exporter, e);
    }
    const key = version * 4294967296 + domainId;
    let d = e.domains.get(key);
    if (!d) {
      if (e.domains.size >= this.limits.domainsPerExporter) return undefined;
      d = new DomainState();
      e.domains.set(key, d);
    }
    return d;
  }

  /** Stores a template (a new one with the same id replaces the old); false when the domain is full. */
  putTemplate(domain: DomainState, template: Template): boolean {
    if (!domain.templates.has(template.id) && domain.templates.size >= this.limits.templatesPerDomain) return false;
    domain.templates.set(template.id, template);
    return true;
  }
}
