// NetFlow v9 export packets (RFC 3954): a 20-byte header, then template (0), options template (1) and data
// (256-65535) flowsets. Templates are kept per exporter and source id.
import { u16, u32 } from './bytes';
import { checkSets, type SetWalker } from './sets';
import { readV9OptionsTemplates, readV9Templates } from './template-sets';

export const V9_HEADER = 20;

export function walkV9(b: Uint8Array, len: number, exporter: string, w: SetWalker): void {
  if (len < V9_HEADER) return w.drop('too-short');
  const problem = checkSets(b, V9_HEADER, len, true);
  if (problem) return w.drop(problem);
  const sourceId = u32(b, 16);
  const domain = w.state.domain(exporter, 9, sourceId);
  if (!domain) {
    w.stats.setErrors['state-limit']++;
    return;
  }
  const msg = w.msg;
  msg.version = 9;
  msg.source = 'netflow9';
  msg.exporter = exporter;
  msg.sysUptime = u32(b, 4);
  msg.exportMs = u32(b, 8) * 1000;
  msg.domain = domain;
  msg.domainId = sourceId;
  msg.sequence = u32(b, 12);
  w.setContext.domain = domain;
  let o = V9_HEADER;
  while (len - o >= 4) {
    const id = u16(b, o);
    const length = u16(b, o + 2);
    if (length === 0) break;
    const end = o + length;
    if (id === 0) readV9Templates(b, o + 4, end, w.setContext);
    else if (id === 1) readV9OptionsTemplates(b, o + 4, end, w.setContext);
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
