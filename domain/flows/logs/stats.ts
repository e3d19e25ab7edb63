// What reading a flow log produced: records, lines that carried no flow, and every bad line with its number and reason.
// Parsers never throw on bad input; they count it here and carry on with the next line.

export const FLOW_LOG_FORMATS = ['jsonl', 'zeek', 'vpc', 'nsg'] as const;
export type FlowLogFormat = (typeof FLOW_LOG_FORMATS)[number];

export interface BadLine {
  /** 1-based line number in the input (for NSG documents: the line holding the bad tuple or record). */
  line: number;
  reason: string;
}

export interface FlowLogStats {
  format: FlowLogFormat;
  /** Lines read (NSG: lines of the document). */
  lines: number;
  /** FlowRecords handed to the sink. */
  records: number;
  /** Entries that are valid but carry no flow: headers, comments, VPC NODATA/SKIPDATA, NSG begin tuples of allowed flows. */
  skipped: number;
  /** Bad lines, all counted; the first `maxBadLines` are listed. */
  bad: number;
  badLines: BadLine[];
  /** One sentence per kind of thing worth knowing (e.g. records the source says it dropped). */
  warnings: string[];
}

export interface FlowLogOptions {
  /** Who exported the log, when the log itself does not say (default: the format name). */
  exporter?: string;
  /** How many bad lines to list (all are counted); default 1,000. */
  maxBadLines?: number;
  /** Longer lines are bad lines, not memory; default 1 MiB. */
  maxLineLength?: number;
  /** NSG documents larger than this are refused (they are read whole); default 512 MiB. */
  maxDocumentLength?: number;
}

export const DEFAULT_MAX_BAD_LINES = 1_000;
export const DEFAULT_MAX_LINE_LENGTH = 1024 * 1024;
export const DEFAULT_MAX_DOCUMENT_LENGTH = 512 * 1024 * 1024;

/** Collects the counts while a parser runs; `warn` keeps one warning per key, with a running count. */
export class StatsCollector {
  readonly stats: FlowLogStats;
  private readonly warningCounts = new Map<string, { count: number; text: (n: number) => string }>();
  private readonly maxBad: number;

  constructor(format: FlowLogFormat, maxBadLines = DEFAULT_MAX_BAD_LINES) {
    this.stats = { format, lines: 0, records: 0, skipped: 0, bad: 0, badLines: [], warnings: [] };
    this.maxBad = maxBadLines;
  }

  bad(line: number, reason: string): void {
    this.stats.bad++;
    if (this.stats.badLines.length < this.maxBad) this.stats.badLines.push({ line, reason });
  }

  warn(key: string, text: (count: number) => string): void {
    const w = this.warningCounts.get(key);
    if (w) w.count++;
    else this.warningCounts.set(key, { count: 1, text });
  }

  finish(): FlowLogStats {
    this.stats.warnings = [...this.warningCounts.values()].map((w) => w.text(w.count));
    if (this.stats.bad > this.stats.badLines.length) {
      this.stats.warnings.push(`${this.stats.bad - this.stats.badLines.length} more bad lines are counted but not listed`);
    }
    return this.stats;
  }
}

/** A non-negative integer written in decimal, or undefined (no signs, no exponents, no fractions). */
export function parseCount(text: string): number | undefined {
  if (text.length === 0 || text.length > 16) return undefined;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
    n = n * 10 + (c - 48);
  }
  return n;
}

export const isPort = (n: number | undefined): n is number => n !== undefined && n <= 65535;
