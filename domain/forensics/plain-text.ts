// Text from a tenant's machines or names typed by people goes into reports and consent pages: as plain text it must
// not carry terminal escapes, line breaks that forge extra lines, or bidi controls that reorder what a reader sees.

/** Longest excerpt of one log line kept in a report. */
export const MAX_EXCERPT = 500;

// C0 and C1 controls (tab aside), DEL, line/paragraph separators, bidi embeddings/overrides/isolates and marks,
// zero-width characters and the BOM.
const UNSAFE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;
// A surrogate without its pair cannot be encoded as UTF-8: show it as an escape too.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

function escapeChar(ch: string): string {
  const code = ch.charCodeAt(0);
  if (ch === '\n') return '\\n';
  if (ch === '\r') return '\\r';
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** One line of plain text: unsafe characters shown as escapes, clipped to `max` characters with an ellipsis. */
export function plainText(value: string, max = MAX_EXCERPT): string {
  const safe = value.replace(UNSAFE, escapeChar).replace(LONE_SURROGATE, escapeChar);
  if (safe.length <= max) return safe;
  // Do not cut a surrogate pair in half.
  let end = max - 1;
  const code = safe.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return `${safe.slice(0, end)}…`;
}
