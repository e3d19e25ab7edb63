// Which Debian or Ubuntu release a host runs, in the form OSV ecosystems use ("Debian:7", "Ubuntu:22.04:LTS"),
// and which advisory ecosystems apply to it.

export const DISTROS = ['debian', 'ubuntu'] as const;
export type Distro = (typeof DISTROS)[number];

export interface OsRelease {
  distro: Distro;
  /** Canonical release: Debian "7", "12", "6.0", "sid"; Ubuntu "22.04". */
  release: string;
}

// distro-info-data debian.csv: the `version` column per series (releases before 7 keep their minor number).
const DEBIAN_CODENAMES: Record<string, string> = {
  buzz: '1.1', rex: '1.2', bo: '1.3', hamm: '2.0', slink: '2.1', potato: '2.2', woody: '3.0', sarge: '3.1',
  etch: '4.0', lenny: '5.0', squeeze: '6.0', wheezy: '7', jessie: '8', stretch: '9', buster: '10',
  bullseye: '11', bookworm: '12', trixie: '13', forky: '14', duke: '15', sid: 'sid', unstable: 'sid',
};

// https://wiki.ubuntu.com/Releases
const UBUNTU_CODENAMES: Record<string, string> = {
  warty: '4.10', hoary: '5.04', breezy: '5.10', dapper: '6.06', edgy: '6.10', feisty: '7.04', gutsy: '7.10',
  hardy: '8.04', intrepid: '8.10', jaunty: '9.04', karmic: '9.10', lucid: '10.04', maverick: '10.10',
  natty: '11.04', oneiric: '11.10', precise: '12.04', quantal: '12.10', raring: '13.04', saucy: '13.10',
  trusty: '14.04', utopic: '14.10', vivid: '15.04', wily: '15.10', xenial: '16.04', yakkety: '16.10',
  zesty: '17.04', artful: '17.10', bionic: '18.04', cosmic: '18.10', disco: '19.04', eoan: '19.10',
  focal: '20.04', groovy: '20.10', hirsute: '21.04', impish: '21.10', jammy: '22.04', kinetic: '22.10',
  lunar: '23.04', mantic: '23.10', noble: '24.04', oracular: '24.10', plucky: '25.04', questing: '25.10',
};

export type ReleaseResult = { ok: true; os: OsRelease } | { ok: false; error: string };

/** Normalises a release as a host reports it: "7", "7.11", "wheezy", "22.04", "22.04.3 LTS", "jammy". */
export function normaliseRelease(distro: string, release: string): ReleaseResult {
  const d = distro.trim().toLowerCase();
  const r = release.trim().toLowerCase().replace(/\s+lts$/, '');
  if (d !== 'debian' && d !== 'ubuntu') return { ok: false, error: `unsupported distribution ${JSON.stringify(distro)} (debian or ubuntu)` };
  if (r === '') return { ok: false, error: 'the release is empty' };
  if (d === 'debian') {
    const named = DEBIAN_CODENAMES[r];
    if (named) return { ok: true, os: { distro: d, release: named } };
    const m = /^(\d+)(?:\.(\d+))*$/.exec(r);
    if (!m) return { ok: false, error: `unknown Debian release ${JSON.stringify(release)}` };
    const major = Number(m[1]);
    // From 7 on the release is the major number; before it, "6.0.10" is release "6.0".
    const minor = /^\d+\.(\d+)/.exec(r)?.[1] ?? '0';
    return { ok: true, os: { distro: d, release: major >= 7 ? String(major) : `${major}.${Number(minor)}` } };
  }
  const named = UBUNTU_CODENAMES[r];
  if (named) return { ok: true, os: { distro: d, release: named } };
  const m = /^(\d{1,2})\.(\d{2})(?:\.\d+)?$/.exec(r);
  if (!m) return { ok: false, error: `unknown Ubuntu release ${JSON.stringify(release)} (YY.MM or a codename)` };
  return { ok: true, os: { distro: d, release: `${Number(m[1])}.${m[2]}` } };
}

/** Parses "debian:7", "debian 7", "ubuntu/jammy" (the CLI's --os and the "# os:" header of text inventories). */
export function parseOsSpec(spec: string): ReleaseResult {
  const m = /^\s*([A-Za-z]+)\s*[:/ ]\s*(.+?)\s*$/.exec(spec);
  if (!m) return { ok: false, error: `expected <distro>:<release> such as debian:12 or ubuntu:22.04, got ${JSON.stringify(spec)}` };
  return normaliseRelease(m[1]!, m[2]!);
}

/** An OSV ecosystem of a Debian-family distribution; release null for the plain "Debian" / "Ubuntu". */
export interface DistroEcosystem {
  distro: Distro;
  release: string | null;
  /** Ubuntu Pro (ESM) updates: "Ubuntu:Pro:18.04:LTS". */
  pro: boolean;
}

/** Reads "Debian", "Debian:7", "Debian:sid", "Ubuntu:22.04:LTS", "Ubuntu:Pro:18.04:LTS"; null for any other ecosystem. */
export function parseEcosystem(ecosystem: string): DistroEcosystem | null {
  const parts = ecosystem.split(':');
  const head = parts[0];
  if (head === 'Debian') {
    if (parts.length === 1) return { distro: 'debian', release: null, pro: false };
    if (parts.length !== 2) return null;
    const rel = normaliseRelease('debian', parts[1]!);
    return rel.ok ? { distro: 'debian', release: rel.os.release, pro: false } : null;
  }
  if (head === 'Ubuntu') {
    if (parts.length === 1) return { distro: 'ubuntu', release: null, pro: false };
    const rest = parts.slice(1);
    // Qualifiers around the number (Pro, FIPS, LTS, ...) scope the update channel, not the release.
    const number = rest.find((p) => /^\d{1,2}\.\d{2}$/.test(p));
    if (!number) return null;
    const rel = normaliseRelease('ubuntu', number);
    return rel.ok ? { distro: 'ubuntu', release: rel.os.release, pro: rest.includes('Pro') } : null;
  }
  return null;
}
