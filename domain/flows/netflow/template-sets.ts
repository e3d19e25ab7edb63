// Template and options template sets of NetFlow v9 (RFC 3954 5.2, 6.1) and IPFIX (RFC 7011 3.4), with IPFIX
// withdrawals (8.1). A template record that runs past its set, or uses a reserved id, ends the set as 'bad-template'.
import { u16, u32 } from './bytes';
import type { DecoderState, DomainState } from './state';
import type { DecodeStats } from './stats';
import { compileTemplate, type Template, type TemplateField } from './template';

export interface SetContext {
  state: DecoderState;
  domain: DomainState;
  stats: DecodeStats;
}

function store(ctx: SetContext, t: Template): boolean {
  if (t.fixed && t.recordLength === 0) {
    ctx.stats.setErrors['bad-template']++; // a record of no bytes would repeat forever
    return false;
  }
  if (!ctx.state.putTemplate(ctx.domain, t)) {
    ctx.stats.setErrors['state-limit']++;
    return false;
  }
  ctx.stats.templates++;
  return true;
}

function plainFields(b: Uint8Array, o: number, count: number): TemplateField[] {
  const fields: TemplateField[] = new Array(count);
  for (let i = 0; i < count; i++) fields[i] = { id: u16(b, o + 4 * i), pen: 0, length: u16(b, o + 4 * i + 2) };
  return fields;
}

/** v9 template flowset (id 0): template records until the set ends; zero bytes at its end are padding. */
export function readV9Templates(b: Uint8Array, o: number, end: number, ctx: SetContext): void {
  while (end - o >= 4) {
    const id = u16(b, o);
    const count = u16(b, o + 2);
    if (id === 0 && count === 0) return;
    if (id < 256 || o + 4 + 4 * count > end) {
      ctx.stats.setErrors['bad-template']++;
      return;
    }
    store(ctx, compileTemplate(9, id, plainFields(b, o + 4, count), 0, false));
    o += 4 + 4 * count;
  }
}

/** v9 options template flowset (id 1): scope and option lengths are in bytes (4 per field). */
export function readV9OptionsTemplates(b: Uint8Array, o: number, end: number, ctx: SetContext): void {
  while (end - o >= 6) {
    const id = u16(b, o);
    const scopeBytes = u16(b, o + 2);
    const optionBytes = u16(b, o + 4);
    if (id === 0) return;
    if (id < 256 || scopeBytes % 4 !== 0 || optionBytes % 4 !== 0 || o + 6 + scopeBytes + optionBytes > end) {
      ctx.stats.setErrors['bad-template']++;
      return;
    }
    const fields = plainFields(b, o + 6, (scopeBytes + optionBytes) / 4);
    store(ctx, compileTemplate(9, id, fields, scopeBytes / 4, true));
    o += 6 + scopeBytes + optionBytes;
  }
}

/** IPFIX template set (id 2) or options template set (id 3), including withdrawals (field count 0). */
export function readIpfixTemplates(b: Uint8Array, o: number, end: number, options: boolean, ctx: SetContext): void {
  const setId = options ? 3 : 2;
  while (end - o >= 4) {
    const id = u16(b, o);
    const count = u16(b, o + 2);
    if (id === 0 && count === 0) return; // padding
    if (count === 0) {
      o += 4;
      if (id === setId) withdrawAll(ctx, options);
      else if (id >= 256) withdraw(ctx, id);
      else {
        ctx.stats.setErrors['bad-template']++;
        return;
      }
      continue;
    }
    let at = o + (options ? 6 : 4);
    const scopeCount = options && at <= end ? u16(b, o + 4) : 0;
    if (id < 256 || at > end || (options && (scopeCount === 0 || scopeCount > count))) {
      ctx.stats.setErrors['bad-template']++;
      return;
    }
    const fields: TemplateField[] = [];
    while (fields.length < count && at + 4 <= end) {
      const raw = u16(b, at);
      const length = u16(b, at + 2);
      if (raw & 0x8000) {
        if (at + 8 > end) break;
        fields.push({ id: raw & 0x7fff, pen: u32(b, at + 4), length });
        at += 8;
      } else {
        fields.push({ id: raw, pen: 0, length });
        at += 4;
      }
    }
    if (fields.length !== count) {
      ctx.stats.setErrors['bad-template']++;
      return;
    }
    store(ctx, compileTemplate(10, id, fields, scopeCount, options));
    o = at;
  }
}

function withdraw(ctx: SetContext, id: number): void {
  if (ctx.domain.templates.delete(id)) ctx.stats.templatesWithdrawn++;
}

/** Template id 2 (or 3) with no fields withdraws every template (or options template) of the domain. */
function withdrawAll(ctx: SetContext, options: boolean): void {
  for (const [id, t] of ctx.domain.templates) {
    if (t.options === options) {
      ctx.domain.templates.delete(id);
      ctx.stats.templatesWithdrawn++;
    }
  }
}
