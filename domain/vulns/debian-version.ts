// Debian package versions ([epoch:]upstream_version[-debian_revision]) and their ordering, as dpkg defines them
// (Debian Policy §5.6.12; dpkg lib/dpkg/version.c). Ubuntu uses the same format and ordering.

export interface DebianVersion {
  epoch: number;
  upstream: string;
  /** Empty when the version has no hyphen; dpkg orders "1.0" and "1.0-0" as equal. */
  revision: string;
  /** The version as given (trimmed). */
  text: string;
}

export type DebianVersionResult = { ok: true; version: DebianVersion } | { ok: false; error: string };

// dpkg stores the epoch in an int.
const MAX_EPOCH = 2 ** 31 - 1;
const UPSTREAM_CHARS = /^[0-9A-Za-z.+~:-]*$/;
const REVISION_CHARS = /^[0-9A-Za-z.+~]*$/;

/**
 * Parses a version with dpkg's rules. What dpkg only warns about (an upstream version not starting with a digit,
 * characters outside the allowed set) is an error here: a scanner must not compare versions it does not understand.
 */
export function parseDebianVersion(input: string): DebianVersionResult {
  const text = input.trim();
  const fail = (error: string): DebianVersionResult => ({ ok: false, error: `invalid Debian version ${JSON.stringify(input)}: ${error}` });
  if (text === '') return fail('the version is empty');
  if (/\s/.test(text)) return fail('the version has embedded spaces');

  let epoch = 0;
  let rest = text;
  const colon = text.indexOf(':');
  if (colon >= 0) {
    const epochText = text.slice(0, colon);
    if (epochText === '') return fail('the epoch is empty');
    if (epochText.startsWith('-')) return fail('the epoch is negative');
    if (!/^[0-9]+$/.test(epochText)) return fail('the epoch is not a number');
    epoch = Number(epochText);
    if (epoch > MAX_EPOCH) return fail('the epoch is too big');
    rest = text.slice(colon + 1);
    if (rest === '') return fail('nothing after the colon');
  }

  const hyphen = rest.lastIndexOf('-');
  const upstream = hyphen >= 0 ? rest.slice(0, hyphen) : rest;
  const revision = hyphen >= 0 ? rest.slice(hyphen + 1) : '';
  if (hyphen >= 0 && revision === '') return fail('the revision is empty');
  if (upstream === '') return fail('the upstream version is empty');
  if (!/^[0-9]/.test(upstream)) return fail('the upstream version does not start with a digit');
  if (!UPSTREAM_CHARS.test(upstream)) return fail('invalid character in the upstream version');
  if (!REVISION_CHARS.test(revision)) return fail('invalid character in the revision');
  return { ok: true, version: { epoch, upstream, revision, text } };
}

export class DebianVersionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DebianVersionError';
  }
}

/** Parses or throws DebianVersionError (for versions that were validated before). */
export function debianVersion(input: string): DebianVersion {
  const parsed = parseDebianVersion(input);
  if (!parsed.ok) throw new DebianVersionError(parsed.error);
  return parsed.version;
}

const isDigit = (code: number) => code >= 48 && code <= 57;
const isLetter = (code: number) => (code >= 65 && code <= 90) || (code >= 97 && code <= 122);

// dpkg's order(): '~' before the end of the string, the end (and digits) next, then letters, then everything else.
function order(s: string, i: number): number {
  if (i >= s.length) return 0;
  const c = s.charCodeAt(i);
  if (isDigit(c)) return 0;
  if (isLetter(c)) return c;
  if (c === 126) return -1;
  return c + 256;
}

/** dpkg's verrevcmp: alternating non-digit and digit runs; digit runs compare as numbers of any length. */
function compareFragment(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while ((i < a.length && !isDigit(a.charCodeAt(i))) || (j < b.length && !isDigit(b.charCodeAt(j)))) {
      const ac = order(a, i);
      const bc = order(b, j);
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    while (a.charCodeAt(i) === 48) i++;
    while (b.charCodeAt(j) === 48) j++;
    let firstDiff = 0;
    while (i < a.length && j < b.length && isDigit(a.charCodeAt(i)) && isDigit(b.charCodeAt(j))) {
      if (firstDiff === 0) firstDiff = a.charCodeAt(i) - b.charCodeAt(j);
      i++;
      j++;
    }
    if (i < a.length && isDigit(a.charCodeAt(i))) return 1;
    if (j < b.length && isDigit(b.charCodeAt(j))) return -1;
    if (firstDiff !== 0) return firstDiff;
  }
  return 0;
}

/** Negative, zero or positive as a sorts before, equal to or after b. */
export function compareParsed(a: DebianVersion, b: DebianVersion): number {
  if (a.epoch !== b.epoch) return a.epoch < b.epoch ? -1 : 1;
  return Math.sign(compareFragment(a.upstream, b.upstream)) || Math.sign(compareFragment(a.revision, b.revision));
}

/** Compares two version strings; throws DebianVersionError when either is invalid. */
export function compareDebianVersions(a: string, b: string): number {
  return compareParsed(debianVersion(a), debianVersion(b));
}
