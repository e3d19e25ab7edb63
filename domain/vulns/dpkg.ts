// The text forms dpkg gives of a system's packages: `dpkg -l`, `dpkg-query -W` lists and /var/lib/dpkg/status.
// Each parser returns the installed packages, the entries it could not read (with the reason) and how many
// packages were listed but not installed (removed with config files left, or only known to the database).
import { makePackage, splitPackageName, type BadEntry, type InstalledPackage } from './inventory';

export interface PackageList {
  packages: InstalledPackage[];
  bad: BadEntry[];
  notInstalled: number;
}

/**
 * dpkg states whose files are on disk: installed, triggers awaited/pending, and the interrupted unpacked,
 * half-configured and half-installed states (the vulnerable code may be there, so they count).
 */
const PRESENT_STATES = new Set(['installed', 'triggers-awaited', 'triggers-pending', 'unpacked', 'half-configured', 'half-installed']);
const ALL_STATES = new Set([...PRESENT_STATES, 'not-installed', 'config-files']);
// The same states as `dpkg -l` abbreviates them (its second column).
const PRESENT_ABBREVS = new Set(['i', 'W', 't', 'U', 'F', 'H']);

const isComment = (line: string) => /^\s*#/.test(line);
const clip = (s: string) => (s.length > 200 ? `${s.slice(0, 197)}...` : s);

/** `dpkg -l` (with or without the Architecture column), or any list starting with its three status letters. */
export function parseDpkgList(lines: string[]): PackageList {
  const out: PackageList = { packages: [], bad: [], notInstalled: 0 };
  let archColumn = false;
  lines.forEach((line, i) => {
    const at = `line ${i + 1}`;
    if (line.trim() === '' || isComment(line)) return;
    if (/^\|\|\/\s+Name\s/.test(line)) {
      archColumn = /\sArch(itecture)?\s/.test(line);
      return;
    }
    if (/^(Desired=|\| Status=|\|\/ Err\?=|\+\+\+-)/.test(line)) return;
    const m = /^([uirph])([ncHUFWti])([ R]?)\s+(\S+)\s+(\S+)(?:\s+(\S+))?/.exec(line);
    if (!m) {
      out.bad.push({ at, reason: 'not a dpkg -l line (expected status letters, name and version)', text: clip(line) });
      return;
    }
    if (!PRESENT_ABBREVS.has(m[2]!)) {
      out.notInstalled++;
      return;
    }
    const made = makePackage({ name: m[4]!, version: m[5]!, arch: archColumn ? (m[6] ?? null) : undefined });
    if (made.ok) out.packages.push(made.pkg);
    else out.bad.push({ at, reason: made.reason, text: clip(line) });
  });
  return out;
}

/**
 * `dpkg-query -W` lists: "name version" (`-f='${Package} ${Version}\n'`, or the default tab-separated output) or
 * "name version source sourceVersion" (`-f='${binary:Package} ${Version} ${source:Package} ${source:Version}\n'`).
 * A name with no version is a package dpkg knows but has not installed.
 */
export function parseDpkgQuery(lines: string[]): PackageList {
  const out: PackageList = { packages: [], bad: [], notInstalled: 0 };
  lines.forEach((line, i) => {
    const at = `line ${i + 1}`;
    if (line.trim() === '' || isComment(line)) return;
    const fields = line.trim().split(/\s+/);
    if (fields.length === 1) {
      if (splitPackageName(fields[0]!).ok) out.notInstalled++;
      else out.bad.push({ at, reason: 'not a package name', text: clip(line) });
      return;
    }
    if (fields.length !== 2 && fields.length !== 4) {
      out.bad.push({ at, reason: `expected 2 fields (name version) or 4 (name version source source-version), got ${fields.length}`, text: clip(line) });
      return;
    }
    const [name, version, source, sourceVersion] = fields as [string, string, string?, string?];
    const made = makePackage({ name, version, source, sourceVersion });
    if (made.ok) out.packages.push(made.pkg);
    else out.bad.push({ at, reason: made.reason, text: clip(line) });
  });
  return out;
}

/** /var/lib/dpkg/status (or `dpkg -s` output): RFC 822-style stanzas separated by blank lines. */
export function parseDpkgStatus(lines: string[]): PackageList {
  const out: PackageList = { packages: [], bad: [], notInstalled: 0 };
  let fields = new Map<string, string>();
  let start = 0;
  let lastKey: string | null = null;
  let broken: string | null = null;
  const flush = () => {
    if (fields.size > 0 || broken) readStanza(fields, `line ${start + 1}`, broken, out);
    fields = new Map();
    lastKey = null;
    broken = null;
  };
  lines.forEach((line, i) => {
    if (line.trim() === '') return flush();
    if (isComment(line) && fields.size === 0) return;
    if (fields.size === 0 && !broken) start = i;
    if (/^[ \t]/.test(line)) {
      // Continuation of a multi-line field (Description, Conffiles): nothing we need.
      if (lastKey === null) broken ??= `line ${i + 1}: a continuation line outside a field`;
      return;
    }
    const m = /^([A-Za-z0-9][A-Za-z0-9-]*):[ \t]*(.*)$/.exec(line);
    if (!m) {
      broken ??= `line ${i + 1}: not a "Field: value" line`;
      return;
    }
    lastKey = m[1]!.toLowerCase();
    fields.set(lastKey, m[2]!.trim());
  });
  flush();
  return out;
}

function readStanza(fields: Map<string, string>, at: string, broken: string | null, out: PackageList): void {
  const pkg = fields.get('package');
  const text = pkg ? `Package: ${pkg}` : undefined;
  if (broken) return void out.bad.push({ at, reason: broken, text });
  if (!pkg) return void out.bad.push({ at, reason: 'stanza without a Package field' });
  const status = fields.get('status');
  if (status !== undefined) {
    // "want flag state", e.g. "install ok installed" or "deinstall ok config-files".
    const words = status.split(/\s+/);
    const state = words[2];
    if (words.length !== 3 || !state || !ALL_STATES.has(state)) {
      return void out.bad.push({ at, reason: `unreadable Status ${JSON.stringify(status)}`, text });
    }
    if (!PRESENT_STATES.has(state)) return void out.notInstalled++;
  }
  const version = fields.get('version');
  if (!version) return void out.bad.push({ at, reason: 'installed package without a Version field', text });
  // "Source: glibc (2.13-38)" when the source version differs from the binary's (binNMU, split versions).
  // No Source field means the source package has the binary's name and version: dpkg says so, nothing is assumed.
  let source: string = pkg;
  let sourceVersion: string | undefined;
  const rawSource = fields.get('source');
  if (rawSource !== undefined) {
    const m = /^(\S+)(?:\s+\(([^()\s]+)\))?$/.exec(rawSource);
    if (!m) return void out.bad.push({ at, reason: `unreadable Source ${JSON.stringify(rawSource)}`, text });
    source = m[1]!;
    sourceVersion = m[2];
  }
  const made = makePackage({ name: pkg, version, arch: fields.get('architecture') ?? null, source, sourceVersion });
  if (made.ok) out.packages.push(made.pkg);
  else out.bad.push({ at, reason: made.reason, text });
}
