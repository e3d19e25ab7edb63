// A set of OSV advisories read from files (one advisory per file, or a JSON array of them), indexed by
// distribution and source package for matching. Bad advisories are counted with their reason, never fatal.
import { readAdvisory, type Advisory, type AdvisoryProblem, type DistroAffected } from './osv';
import type { Distro, OsRelease } from './releases';

export interface AdvisoryStats {
  files: number;
  /** Advisories kept: valid, not withdrawn, with at least one Debian or Ubuntu entry. */
  loaded: number;
  withdrawn: number;
  otherEcosystem: number;
  invalid: number;
  /** The same id read twice: the most recently modified copy is kept. */
  duplicates: number;
}

export interface AdvisoryFailure {
  file: string;
  id: string | null;
  error: string;
}

export class AdvisorySet {
  readonly stats: AdvisoryStats = { files: 0, loaded: 0, withdrawn: 0, otherEcosystem: 0, invalid: 0, duplicates: 0 };
  readonly failures: AdvisoryFailure[] = [];
  readonly problems: (AdvisoryProblem & { file: string })[] = [];
  private readonly byId = new Map<string, Advisory>();
  private index: Map<string, Candidate[]> | null = null;

  /** Adds the advisories of one file's text; returns how many were kept. */
  addText(file: string, text: string): number {
    this.stats.files++;
    let value: unknown;
    try {
      value = JSON.parse(text.replace(/^\uFEFF/, ''));
    } catch (err) {
      this.fail(file, null, `malformed JSON (${(err as Error).message})`);
      return 0;
    }
    const items = Array.isArray(value) ? value : [value];
    let kept = 0;
    for (const item of items) if (this.addObject(file, item)) kept++;
    return kept;
  }

  /** Adds one parsed JSON value; true when it was kept. */
  addObject(file: string, value: unknown): boolean {
    const read = readAdvisory(value);
    if (read.kind === 'invalid') {
      this.fail(file, read.id, read.error);
      return false;
    }
    if (read.kind === 'withdrawn') {
      this.stats.withdrawn++;
      return false;
    }
    if (read.kind === 'other-ecosystem') {
      this.stats.otherEcosystem++;
      return false;
    }
    this.problems.push(...read.problems.map((p) => ({ ...p, file })));
    const known = this.byId.get(read.advisory.id);
    if (known) {
      this.stats.duplicates++;
      if (Date.parse(known.modified) >= Date.parse(read.advisory.modified)) return false;
    } else {
      this.stats.loaded++;
    }
    this.byId.set(read.advisory.id, read.advisory);
    this.index = null;
    return true;
  }

  private fail(file: string, id: string | null, error: string): void {
    this.stats.invalid++;
    this.failures.push({ file, id, error });
  }

  get size(): number {
    return this.byId.size;
  }

  advisories(): Advisory[] {
    return [...this.byId.values()];
  }

  /**
   * The affected entries naming this source package that apply to the release: those of its own ecosystem
   * ("Debian:7") and those of the release-less one ("Debian"). Each advisory's entries come together, in order.
   */
  entriesFor(os: OsRelease, source: string): { specific: readonly Candidate[]; general: readonly Candidate[] } {
    if (!this.index) {
      this.index = new Map();
      for (const advisory of this.byId.values()) {
        for (const entry of advisory.affected) {
          const key = indexKey(entry.eco.distro, entry.eco.release, entry.name);
          const list = this.index.get(key);
          if (list) list.push({ advisory, entry });
          else this.index.set(key, [{ advisory, entry }]);
        }
      }
    }
    return { specific: this.index.get(indexKey(os.distro, os.release, source)) ?? [], general: this.index.get(indexKey(os.distro, null, source)) ?? [] };
  }
}

export interface Candidate {
  advisory: Advisory;
  entry: DistroAffected;
}

// Keyed by release too: a fleet spans few releases, and advisories carry entries for many.
const indexKey = (distro: Distro, release: string | null, source: string) => `${distro}\0${release ?? ''}\0${source}`;
