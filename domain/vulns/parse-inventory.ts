// One entry point for an inventory file: recognises the form, parses it and says what it could not read.
import { parseDpkgList, parseDpkgQuery, parseDpkgStatus, type PackageList } from './dpkg';
import { parseInventoryObject, readTextHeader, type BadEntry, type Inventory, type InventoryFormat, type InventoryHints, type InventoryParse } from './inventory';

/** Which form a text is in: JSON by its first character, a status file by its fields, `dpkg -l` by its lines. */
export function detectInventoryFormat(text: string): InventoryFormat {
  const body = text.replace(/^\uFEFF/, '');
  if (/^\s*[[{]/.test(body)) return 'json';
  const lines = body.split(/\r?\n/).filter((l) => l.trim() !== '' && !/^\s*#/.test(l));
  if (lines.some((l) => /^Package:\s*\S/.test(l))) return 'dpkg-status';
  if (lines.some((l) => /^(\|\|\/ Name|\+\+\+-|Desired=)/.test(l))) return 'dpkg-l';
  const statusLines = lines.filter((l) => /^[uirph][ncHUFWti][ R]?\s+\S+\s+\S+/.test(l)).length;
  return lines.length > 0 && statusLines * 2 > lines.length ? 'dpkg-l' : 'dpkg-query';
}

/**
 * Parses an inventory. JSON holds one inventory object or an array of them; text forms describe one host, named by
 * a "# host:" line or else hints.host, on the release of a "# os:" line or else hints.os. Never throws.
 */
export function parseInventory(text: string, hints: InventoryHints = {}): InventoryParse {
  if (text.replace(/^\uFEFF/, '').trim() === '') return { ok: false, error: 'the file is empty', format: null, bad: [] };
  const format = detectInventoryFormat(text);
  return format === 'json' ? parseJsonInventory(text) : parseTextInventory(text, format, hints);
}

function parseJsonInventory(text: string): InventoryParse {
  let value: unknown;
  try {
    value = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    return { ok: false, error: `malformed JSON (${(err as Error).message})`, format: 'json', bad: [] };
  }
  const items = Array.isArray(value) ? value : [value];
  const inventories: Inventory[] = [];
  const bad: BadEntry[] = [];
  const errors: string[] = [];
  items.forEach((item, i) => {
    const at = Array.isArray(value) ? `[${i}]` : '';
    const parsed = parseInventoryObject(item, at);
    if (parsed.ok) {
      inventories.push(parsed.inventory);
      bad.push(...parsed.bad);
    } else {
      errors.push(parsed.error);
      // In an array, one bad host is a bad entry; a lone object that is bad fails the file.
      if (Array.isArray(value)) bad.push({ at: at, reason: parsed.error });
    }
  });
  if (inventories.length === 0) {
    return { ok: false, error: errors.length ? errors.join('; ') : 'the JSON array holds no inventory', format: 'json', bad };
  }
  return { ok: true, inventories, bad, notInstalled: 0 };
}

function parseTextInventory(text: string, format: Exclude<InventoryFormat, 'json'>, hints: InventoryHints): InventoryParse {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const bad: BadEntry[] = [];
  const header = readTextHeader(lines, bad);
  const list: PackageList = format === 'dpkg-status' ? parseDpkgStatus(lines) : format === 'dpkg-l' ? parseDpkgList(lines) : parseDpkgQuery(lines);
  bad.push(...list.bad);
  if (list.packages.length === 0) {
    const why = list.bad.length ? `${list.bad.length} bad ${list.bad.length === 1 ? 'entry' : 'entries'}` : `${list.notInstalled} not installed`;
    return { ok: false, error: `no installed package could be read (${why})`, format, bad };
  }
  const host = header.host ?? hints.host;
  const os = header.os ?? hints.os;
  if (!host) return { ok: false, error: 'no host name: add a "# host: <name>" line', format, bad };
  if (!os) return { ok: false, error: 'the release is unknown: add a "# os: debian 12" line or pass --os', format, bad };
  return {
    ok: true,
    inventories: [
      {
        host,
        deploymentId: header.deploymentId ?? null,
        ip: header.ip ?? null,
        os,
        collectedAt: header.collectedAt ?? null,
        format,
        packages: list.packages,
      },
    ],
    bad,
    notInstalled: list.notInstalled,
  };
}
