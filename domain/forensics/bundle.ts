// Several log files collected as one artifact: a text bundle in the spirit of `tail -n +1 a b`, except that each
// header states the file's length in bytes, so a log line that looks like a header cannot start a forged section.
//
//   # safeguard log bundle v1
//   ==> /var/log/auth.log (4577 bytes) <==
//   <4577 bytes>\n
//   ==> /var/log/syslog (2235 bytes) <==
//   <2235 bytes>\n

export const BUNDLE_MAGIC = '# safeguard log bundle v1';
const HEADER = /^==> (.+) \((\d{1,15}) bytes\) <==$/;
const LF = 0x0a;

export interface BundleSection {
  /** The file's path on the machine it came from (as the header states it). */
  path: string;
  bytes: Uint8Array;
}

export interface BundleSplit {
  sections: BundleSection[];
  /** What did not follow the format; the rest of the artifact after such a point is kept as one section. */
  problems: string[];
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function bundlePreamble(): Uint8Array {
  return encoder.encode(`${BUNDLE_MAGIC}\n`);
}

/** The header line before a file's bytes; the file's bytes and one LF follow it. */
export function bundleHeader(path: string, size: number): Uint8Array {
  if (/[\r\n]/.test(path)) throw new Error('a bundled path must not contain a line break');
  return encoder.encode(`==> ${path} (${size} bytes) <==\n`);
}

export function isBundle(bytes: Uint8Array): boolean {
  const magic = encoder.encode(`${BUNDLE_MAGIC}\n`);
  if (bytes.length < magic.length) return false;
  for (let i = 0; i < magic.length; i++) if (bytes[i] !== magic[i]) return false;
  return true;
}

/**
 * The files in a bundle, as views into its bytes (no copy). An artifact that is not a bundle is one section named
 * `fallbackName`. Never throws: a broken header or a short file is a problem, and what remains is kept whole.
 */
export function splitBundle(bytes: Uint8Array, fallbackName: string): BundleSplit {
  if (!isBundle(bytes)) return { sections: [{ path: fallbackName, bytes }], problems: [] };
  const sections: BundleSection[] = [];
  const problems: string[] = [];
  let at = BUNDLE_MAGIC.length + 1;
  while (at < bytes.length) {
    const eol = bytes.indexOf(LF, at);
    const line = decoder.decode(bytes.subarray(at, eol === -1 ? bytes.length : eol));
    const m = HEADER.exec(line);
    const size = m ? Number(m[2]) : NaN;
    const start = eol + 1;
    if (!m || eol === -1 || start + size > bytes.length) {
      problems.push(
        !m || eol === -1
          ? `byte ${at}: not a bundle header; the rest is read as one file`
          : `${m[1]}: the header says ${size} bytes, only ${bytes.length - start} follow`,
      );
      sections.push({ path: m && eol !== -1 ? m[1]! : `${fallbackName}@${at}`, bytes: bytes.subarray(m && eol !== -1 ? start : at) });
      break;
    }
    sections.push({ path: m[1]!, bytes: bytes.subarray(start, start + size) });
    at = start + size;
    if (at < bytes.length && bytes[at] === LF) at++;
  }
  return { sections, problems };
}
