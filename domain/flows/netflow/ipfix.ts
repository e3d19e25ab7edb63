// IPFIX messages (RFC 7011): a 16-byte header whose length bounds the message, then template (2), options
// template (3) and data (256-65535) sets. Templates are kept per exporter and observation domain.
import { u16, u32 } from './bytes';
import { checkSets, type SetWalker } from './sets';
import { readIpfixTemplates } from './template-sets';

export const IPFIX_HEADER = 16;

export function walkIpfix(b: Uint8Array, len: number, exporter: string, w: SetWalker): void {
  if (len < IPFIX_HEADER) return w.drop('too-short');
  const length = u16(b, 2);
  if (length < IPFIX_HEADER || length > len) return w.drop('bad-length');
  const problem = checkSets(b, IPFIX_HEADER, length, false);
  if (problem) return w.drop(problem);
  const domainId = u32(b, 12);
  const domain = w.state.domain(exporter, 10, domainId);
  if (!domain) {
    w.stats.setErrors['state-limit']++;
    return;
  }
  const msg = w.msg;
  msg.version = 10;
  msg.source = 'ipfix';
  msg.exporter = exporter;
  msg.sysUptime = 0;
  msg.exportMs = u32(b, 4) * 1000;
  msg.domain = domain;
  msg.domainId = domainId;
  msg.sequence = u32(b, 8);
  w.setContext.domain = domain;
  let o = IPFIX_HEADER;
  while (length - o >= 4) {
    const id = u16(b, o);
    const end = o + u16(b, o + 2);
    if (id === 2 || id === 3) readIpfixTemplates(b, o + 4, end, id === 3, w.setContext);
    else if (id < 256) w.stats.setErrors['reserved-set-id']++;
    else {
      const t = domain.templates.get(id);
      msg.setId = id;
      if (t) w.dataSet(t, b, o + 4, end);
      else w.stats.unknownTemplateSets++;
    }
    o = end;
  }
}
