// A VM's installed packages, from any of the inventory forms we accept, in one shape.
// Debian and Ubuntu advisories name SOURCE packages, so every binary package carries its source name and version.
import { z } from 'zod';
import { parseIpOrCidr } from '../reports/ips';
import { parseDebianVersion } from './debian-version';
import { DISTROS, normaliseRelease, parseOsSpec, type OsRelease } from './releases';

export const INVENTORY_FORMATS = ['json', 'dpkg-status', 'dpkg-l', 'dpkg-query'] as const;
export type InventoryFormat = (typeof INVENTORY_FORMATS)[number];

export interface InstalledPackage {
  /** Binary package name, without an architecture qualifier. */
  name: string;
  version: string;
  arch: string | null;
  source: string;
  sourceVersion: string;
  /** False when the inventory did not say and the source was taken to be the binary package itself. */
  sourceKnown: boolean;
}

export interface Inventory {
  host: string;
  deploymentId: string | null;
  /** Canonical address text; findings become detections only when it is known. */
  ip: string | null;
  os: OsRelease;
  collectedAt: Date | null;
  format: InventoryFormat;
  packages: InstalledPackage[];
}

/** A line, stanza or JSON entry that was not understood; `at` is "line 12" or "packages[3]". */
export interface BadEntry {
  at: string;
  reason: string;
  text?: string;
}

export type InventoryParse =
  | { ok: true; inventories: Inventory[]; bad: BadEntry[]; notInstalled: number }
  | { ok: false; error: string; format: InventoryFormat | null; bad: BadEntry[] };

/** What the caller knows besides the text: a host name (the file name) and an OS for text forms that state none. */
export interface InventoryHints {
  host?: string;
  os?: OsRelease;
}

export const MAX_FIELD = 200;
const PACKAGE_NAME = /^[a-z0-9][a-z0-9+.-]+$/;

// Package fields are checked one by one below, so that one bad entry is counted instead of failing the file.
export const InventoryPackageSchema = z
  .object({
    name: z.string().trim().min(1).max(MAX_FIELD),
    version: z.string().trim().min(1).max(MAX_FIELD),
    source: z.string().trim().min(1).max(MAX_FIELD).optional(),
    sourceVersion: z.string().trim().min(1).max(MAX_FIELD).optional(),
    arch: z.string().trim().min(1).max(50).optional(),
  })
  .strict();

export const InventoryJsonSchema = z
  .object({
    host: z.string().trim().min(1).max(253),
    deploymentId: z.string().trim().min(1).max(MAX_FIELD).optional(),
    ip: z
      .string()
      .trim()
      .refine((s) => isSingleAddress(s), 'not an IPv4 or IPv6 address')
      .optional(),
    os: z.object({ distro: z.enum(DISTROS), release: z.string().trim().min(1).max(50) }).strict(),
    collectedAt: z.iso.datetime({ offset: true }).optional(),
    packages: z.array(z.unknown()),
  })
  .strict();
export type InventoryJson = z.input<typeof InventoryJsonSchema>;

function isSingleAddress(s: string): boolean {
  const parsed = parseIpOrCidr(s);
  return parsed.ok && parsed.ip.prefixLength === undefined;
}

export function canonicalIp(s: string): string | null {
  const parsed = parseIpOrCidr(s);
  return parsed.ok && parsed.ip.prefixLength === undefined ? parsed.ip.address : null;
}

/** Splits "libc6:amd64" into name and architecture and checks the name against Debian Policy §5.6.1. */
export function splitPackageName(raw: string): { ok: true; name: string; arch: string | null } | { ok: false; reason: string } {
  const colon = raw.indexOf(':');
  const name = colon >= 0 ? raw.slice(0, colon) : raw;
  const arch = colon >= 0 ? raw.slice(colon + 1) : null;
  if (!PACKAGE_NAME.test(name)) return { ok: false, reason: `invalid package name ${JSON.stringify(raw)}` };
  if (arch !== null && !/^[a-z0-9][a-z0-9-]*$/.test(arch)) return { ok: false, reason: `invalid architecture in ${JSON.stringify(raw)}` };
  return { ok: true, name, arch };
}

/** Builds a package after checking names and versions; the reason when something is invalid. */
export function makePackage(fields: {
  name: string;
  version: string;
  arch?: string | null;
  source?: string | null;
  sourceVersion?: string | null;
}): { ok: true; pkg: InstalledPackage } | { ok: false; reason: string } {
  const split = splitPackageName(fields.name);
  if (!split.ok) return split;
  const version = parseDebianVersion(fields.version);
  if (!version.ok) return { ok: false, reason: version.error };
  const source = fields.source ? splitPackageName(fields.source) : null;
  if (source && !source.ok) return { ok: false, reason: `source: ${source.reason}` };
  if (fields.sourceVersion) {
    const sv = parseDebianVersion(fields.sourceVersion);
    if (!sv.ok) return { ok: false, reason: `source ${sv.error}` };
  }
  return {
    ok: true,
    pkg: {
      name: split.name,
      version: version.version.text,
      arch: fields.arch ?? split.arch,
      source: source?.name ?? split.name,
      sourceVersion: fields.sourceVersion?.trim() || version.version.text,
      sourceKnown: source !== null,
    },
  };
}

/** Parses one JSON inventory object (the form documented in docs/vulnerabilities.md). */
export function parseInventoryObject(value: unknown, at = ''): { ok: true; inventory: Inventory; bad: BadEntry[] } | { ok: false; error: string } {
  const parsed = InventoryJsonSchema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${[at, ...i.path.map(String)].filter(Boolean).join('.') || '(root)'}: ${i.message}`);
    return { ok: false, error: `invalid inventory: ${issues.join('; ')}` };
  }
  const d = parsed.data;
  const os = normaliseRelease(d.os.distro, d.os.release);
  if (!os.ok) return { ok: false, error: `${at ? `${at}.` : ''}os: ${os.error}` };
  const bad: BadEntry[] = [];
  const packages: InstalledPackage[] = [];
  d.packages.forEach((entry, i) => {
    const where = `${at ? `${at}.` : ''}packages[${i}]`;
    const p = InventoryPackageSchema.safeParse(entry);
    if (!p.success) {
      bad.push({ at: where, reason: p.error.issues.map((x) => `${x.path.join('.') || '(entry)'}: ${x.message}`).join('; ') });
      return;
    }
    const made = makePackage(p.data);
    if (made.ok) packages.push(made.pkg);
    else bad.push({ at: where, reason: made.reason });
  });
  return {
    ok: true,
    inventory: {
      host: d.host,
      deploymentId: d.deploymentId ?? null,
      ip: d.ip ? canonicalIp(d.ip) : null,
      os: os.os,
      collectedAt: d.collectedAt ? new Date(d.collectedAt) : null,
      format: 'json',
      packages,
    },
    bad,
  };
}

/** What the "# key: value" lines at the top of a text inventory say about the host. */
export interface TextHeader {
  host?: string;
  deploymentId?: string;
  ip?: string;
  os?: OsRelease;
  collectedAt?: Date;
}

const HEADER_LINE = /^#\s*([A-Za-z][A-Za-z_-]*)\s*[:=]\s*(.*?)\s*$/;

/** Reads metadata comments; comments that are not metadata are ignored, metadata with bad values is a bad entry. */
export function readTextHeader(lines: string[], bad: BadEntry[]): TextHeader {
  const header: TextHeader = {};
  lines.forEach((line, i) => {
    const m = HEADER_LINE.exec(line);
    if (!m) return;
    const key = m[1]!.toLowerCase().replace(/[_-]/g, '');
    const value = m[2]!;
    const at = `line ${i + 1}`;
    if (key === 'host' || key === 'hostname') header.host = value || undefined;
    else if (key === 'deployment' || key === 'deploymentid') header.deploymentId = value || undefined;
    else if (key === 'ip') {
      const ip = canonicalIp(value);
      if (ip) header.ip = ip;
      else bad.push({ at, reason: `ip: ${JSON.stringify(value)} is not an IPv4 or IPv6 address`, text: line });
    } else if (key === 'os') {
      const os = parseOsSpec(value);
      if (os.ok) header.os = os.os;
      else bad.push({ at, reason: `os: ${os.error}`, text: line });
    } else if (key === 'collected' || key === 'collectedat') {
      const when = new Date(value);
      // A zone is required: a zone-less time would be read in the scanner's zone.
      if (/^\d{4}-\d\d-\d\dT[\d:.]+(Z|[+-]\d\d:\d\d)$/.test(value) && !Number.isNaN(when.getTime())) header.collectedAt = when;
      else bad.push({ at, reason: `collected: ${JSON.stringify(value)} is not an ISO 8601 date-time with a zone`, text: line });
    }
  });
  return header;
}
