// CVSS base scores from vector strings, as the FIRST specifications define them (v2.0, v3.0, v3.1).
// v4.0 scores come from a table of macro vectors; we do not compute them (see docs/vulnerabilities.md).

export type CvssResult = { ok: true; version: '2.0' | '3.0' | '3.1'; score: number } | { ok: false; error: string };

type Metrics = Map<string, string>;

function readMetrics(parts: string[], allowed: Record<string, readonly string[]>, required: string[]): Metrics | string {
  const metrics: Metrics = new Map();
  for (const part of parts) {
    const m = /^([A-Za-z]+):([A-Za-z]+)$/.exec(part);
    if (!m) return `malformed metric ${JSON.stringify(part)}`;
    const [, key, value] = m as unknown as [string, string, string];
    const values = allowed[key];
    if (!values) return `unknown metric ${key}`;
    if (!values.includes(value)) return `invalid value ${value} for ${key}`;
    if (metrics.has(key)) return `metric ${key} given twice`;
    metrics.set(key, value);
  }
  const missing = required.filter((k) => !metrics.has(k));
  return missing.length ? `missing base metric${missing.length > 1 ? 's' : ''} ${missing.join(', ')}` : metrics;
}

const V3_METRICS: Record<string, readonly string[]> = {
  AV: ['N', 'A', 'L', 'P'], AC: ['L', 'H'], PR: ['N', 'L', 'H'], UI: ['N', 'R'], S: ['U', 'C'],
  C: ['H', 'L', 'N'], I: ['H', 'L', 'N'], A: ['H', 'L', 'N'],
  // Temporal and environmental metrics are allowed in a vector but do not change the base score.
  E: ['X', 'U', 'P', 'F', 'H'], RL: ['X', 'O', 'T', 'W', 'U'], RC: ['X', 'U', 'R', 'C'],
  CR: ['X', 'L', 'M', 'H'], IR: ['X', 'L', 'M', 'H'], AR: ['X', 'L', 'M', 'H'],
  MAV: ['X', 'N', 'A', 'L', 'P'], MAC: ['X', 'L', 'H'], MPR: ['X', 'N', 'L', 'H'], MUI: ['X', 'N', 'R'],
  MS: ['X', 'U', 'C'], MC: ['X', 'H', 'L', 'N'], MI: ['X', 'H', 'L', 'N'], MA: ['X', 'H', 'L', 'N'],
};
const V3_BASE = ['AV', 'AC', 'PR', 'UI', 'S', 'C', 'I', 'A'];

const AV3: Record<string, number> = { N: 0.85, A: 0.62, L: 0.55, P: 0.2 };
const AC3: Record<string, number> = { L: 0.77, H: 0.44 };
const UI3: Record<string, number> = { N: 0.85, R: 0.62 };
const CIA3: Record<string, number> = { H: 0.56, L: 0.22, N: 0 };

// v3.1's Roundup works on integers so that 4.000000000000001 does not become 4.1 (spec Appendix A).
const roundUp31 = (x: number) => {
  const i = Math.round(x * 100000);
  return i % 10000 === 0 ? i / 100000 : (Math.floor(i / 10000) + 1) / 10;
};
const roundUp30 = (x: number) => Math.ceil(x * 10) / 10;

function scoreV3(vector: string): CvssResult {
  const [prefix, ...parts] = vector.split('/');
  const version = prefix === 'CVSS:3.1' ? '3.1' : prefix === 'CVSS:3.0' ? '3.0' : null;
  if (!version) return { ok: false, error: `not a CVSS v3 vector: ${JSON.stringify(vector)}` };
  const metrics = readMetrics(parts, V3_METRICS, V3_BASE);
  if (typeof metrics === 'string') return { ok: false, error: `CVSS v3 vector: ${metrics}` };
  const get = (k: string) => metrics.get(k)!;
  const changed = get('S') === 'C';
  const pr = { N: 0.85, L: changed ? 0.68 : 0.62, H: changed ? 0.5 : 0.27 }[get('PR') as 'N' | 'L' | 'H'];
  const iss = 1 - (1 - CIA3[get('C')]!) * (1 - CIA3[get('I')]!) * (1 - CIA3[get('A')]!);
  const impact = changed ? 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15 : 6.42 * iss;
  const exploitability = 8.22 * AV3[get('AV')]! * AC3[get('AC')]! * pr * UI3[get('UI')]!;
  const roundUp = version === '3.1' ? roundUp31 : roundUp30;
  const score = impact <= 0 ? 0 : roundUp(Math.min((changed ? 1.08 : 1) * (impact + exploitability), 10));
  return { ok: true, version, score };
}

const V2_METRICS: Record<string, readonly string[]> = {
  AV: ['L', 'A', 'N'], AC: ['H', 'M', 'L'], Au: ['M', 'S', 'N'], C: ['N', 'P', 'C'], I: ['N', 'P', 'C'], A: ['N', 'P', 'C'],
  E: ['U', 'POC', 'F', 'H', 'ND'], RL: ['OF', 'TF', 'W', 'U', 'ND'], RC: ['UC', 'UR', 'C', 'ND'],
  CDP: ['N', 'L', 'LM', 'MH', 'H', 'ND'], TD: ['N', 'L', 'M', 'H', 'ND'], CR: ['L', 'M', 'H', 'ND'], IR: ['L', 'M', 'H', 'ND'], AR: ['L', 'M', 'H', 'ND'],
};
const V2_BASE = ['AV', 'AC', 'Au', 'C', 'I', 'A'];
const AV2: Record<string, number> = { L: 0.395, A: 0.646, N: 1.0 };
const AC2: Record<string, number> = { H: 0.35, M: 0.61, L: 0.71 };
const AU2: Record<string, number> = { M: 0.45, S: 0.56, N: 0.704 };
const CIA2: Record<string, number> = { N: 0, P: 0.275, C: 0.66 };

function scoreV2(vector: string): CvssResult {
  const body = vector.replace(/^\((.*)\)$/, '$1').replace(/^CVSS:2\.0\//, '');
  const metrics = readMetrics(body.split('/'), V2_METRICS, V2_BASE);
  if (typeof metrics === 'string') return { ok: false, error: `CVSS v2 vector: ${metrics}` };
  const get = (k: string) => metrics.get(k)!;
  const impact = 10.41 * (1 - (1 - CIA2[get('C')]!) * (1 - CIA2[get('I')]!) * (1 - CIA2[get('A')]!));
  const exploitability = 20 * AV2[get('AV')]! * AC2[get('AC')]! * AU2[get('Au')]!;
  const f = impact === 0 ? 0 : 1.176;
  // round_to_1_decimal; the epsilon keeps 6.45 computed as 6.4499999 from rounding down.
  const score = Math.round((0.6 * impact + 0.4 * exploitability - 1.5) * f * 10 + 1e-9) / 10;
  return { ok: true, version: '2.0', score: Math.max(0, score) };
}

/** The base score of a vector of the given OSV severity type (CVSS_V2 or CVSS_V3). */
export function cvssBaseScore(type: 'CVSS_V2' | 'CVSS_V3', vector: string): CvssResult {
  const v = vector.trim();
  return type === 'CVSS_V3' ? scoreV3(v) : scoreV2(v);
}

export type Level = 'low' | 'medium' | 'high' | 'critical';

/** The qualitative rating of a v3 score (v3.1 spec §5); v2 scores are read on the same scale. */
export function levelOfScore(score: number): Level | null {
  if (score >= 9) return 'critical';
  if (score >= 7) return 'high';
  if (score >= 4) return 'medium';
  if (score > 0) return 'low';
  return null;
}
