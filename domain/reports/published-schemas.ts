// Validation against the published X-ARF schemas (ajv), loaded from a directory the configuration names; cached per directory.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ErrorObject, ValidateFunction } from 'ajv';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { SchemaVerdict } from './schemas/xarf-v4';

export interface PublishedValidator {
  validate(doc: unknown): SchemaVerdict & { schema?: string };
  /** Files in the directory that could not be used, with the reason (the 0.2 set has one broken file). */
  skipped: string[];
}

export type LoadResult = { ok: true; validator: PublishedValidator } | { ok: false; error: string };

const MASTER_ID = 'https://xarf.org/schemas/v4/xarf-v4-master.json';

function newAjv(): Ajv2020 {
  // Foreign schemas carry annotations ajv's strict mode rejects (x-recommended, examples in odd places).
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  return ajv;
}

function errorLines(errors: ErrorObject[] | null | undefined, limit = 15): string[] {
  const lines = new Set<string>();
  for (const e of errors ?? []) {
    if (e.keyword === 'if' || e.keyword === 'anyOf' || e.keyword === 'allOf') continue; // the leaf errors say why
    const where = e.instancePath ? e.instancePath.slice(1).replace(/\//g, '.') : '(document)';
    const extra = e.keyword === 'additionalProperties' ? ` '${String(e.params.additionalProperty)}'` : e.keyword === 'enum' ? ` (${(e.params.allowedValues as unknown[]).join(', ')})` : '';
    lines.add(`${where}: ${e.message ?? e.keyword}${extra}`);
    if (lines.size >= limit) break;
  }
  return lines.size ? [...lines] : ['does not match the published schema'];
}

async function readJson(file: string): Promise<unknown> {
  return JSON.parse(await readFile(file, 'utf8'));
}

const v4Cache = new Map<string, Promise<LoadResult>>();

/** The published v4 master schema with the core and every type schema it refers to. */
export function loadPublishedXarfV4(dir: string): Promise<LoadResult> {
  const key = path.resolve(dir);
  let pending = v4Cache.get(key);
  if (!pending) {
    pending = loadV4(key);
    v4Cache.set(key, pending);
  }
  return pending;
}

async function loadV4(dir: string): Promise<LoadResult> {
  try {
    const ajv = newAjv();
    const typesDir = path.join(dir, 'types');
    const typeFiles = (await readdir(typesDir)).filter((f) => f.endsWith('.json')).sort();
    for (const file of ['xarf-core.json', 'xarf-v4-master.json']) ajv.addSchema((await readJson(path.join(dir, file))) as object);
    for (const file of typeFiles) ajv.addSchema((await readJson(path.join(typesDir, file))) as object);
    const master = ajv.getSchema(MASTER_ID);
    if (!master) return { ok: false, error: `${dir}: no schema with $id ${MASTER_ID}` };
    const validate = (doc: unknown) => (master(doc) ? { valid: true as const } : { valid: false as const, issues: errorLines(master.errors) });
    return { ok: true, validator: { validate, skipped: [] } };
  } catch (err) {
    return { ok: false, error: `${dir}: ${err instanceof Error ? err.message : String(err)}` };
  }
}

interface V02Schema {
  file: string;
  version: string;
  categories: string[];
  types: string[];
  validate: ValidateFunction;
}

const v02Cache = new Map<string, Promise<LoadResult>>();

/** The X-ARF 0.2 schemata (JSON Schema draft 02), translated to 2020-12 so ajv can run them. */
export function loadPublishedXarf02(dir: string): Promise<LoadResult> {
  const key = path.resolve(dir);
  let pending = v02Cache.get(key);
  if (!pending) {
    pending = loadV02(key);
    v02Cache.set(key, pending);
  }
  return pending;
}

async function loadV02(dir: string): Promise<LoadResult> {
  try {
    const ajv = newAjv();
    const schemas: V02Schema[] = [];
    const skipped: string[] = [];
    for (const file of (await readdir(dir)).filter((f) => f.endsWith('.json')).sort()) {
      try {
        const raw = (await readJson(path.join(dir, file))) as Record<string, unknown>;
        const props = (raw.properties ?? {}) as Record<string, { enum?: string[] }>;
        schemas.push({
          file,
          version: /_([0-9.]+|unstable)\.json$/.exec(file)?.[1] ?? 'unstable',
          categories: props.Category?.enum ?? [],
          types: props['Report-Type']?.enum ?? [],
          validate: ajv.compile(fromDraft02(raw)),
        });
      } catch (err) {
        skipped.push(`${file}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    if (schemas.length === 0) return { ok: false, error: `${dir}: no usable X-ARF 0.2 schema (${skipped.join('; ') || 'no .json files'})` };
    return { ok: true, validator: { validate: (doc) => validateV02(schemas, doc), skipped } };
  } catch (err) {
    return { ok: false, error: `${dir}: ${err instanceof Error ? err.message : String(err)}` };
  }
}

function validateV02(schemas: V02Schema[], doc: unknown): SchemaVerdict & { schema?: string } {
  const report = (typeof doc === 'object' && doc !== null ? doc : {}) as Record<string, unknown>;
  const named = typeof report['Schema-URL'] === 'string' ? path.posix.basename(String(report['Schema-URL'])) : '';
  const category = String(report.Category ?? '');
  const type = String(report['Report-Type'] ?? '');
  const schema =
    schemas.find((s) => s.file === named) ??
    schemas
      .filter((s) => s.categories.includes(category) && s.types.includes(type))
      .sort((a, b) => versionRank(b.version) - versionRank(a.version))[0];
  if (!schema) return { valid: false, issues: [`no published X-ARF 0.2 schema covers ${category}/${type}`] };
  return schema.validate(doc) ? { valid: true, schema: schema.file } : { valid: false, issues: errorLines(schema.validate.errors), schema: schema.file };
}

function versionRank(version: string): number {
  if (version === 'unstable') return -1;
  return version.split('.').reduce((acc, part) => acc * 1000 + Number(part), 0);
}

// draft-02 → 2020-12: properties are required unless `optional: true`; `requires` names a property that must come along.
const FORMAT_NAMES: Record<string, string | null> = { 'ip-address': 'ipv4', 'host-name': 'hostname', 'utc-millisec': null, color: null, style: null, phone: null };

export function fromDraft02(schema: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'optional' || key === 'requires' || key === '$schema') continue;
    if (key === 'format' && typeof value === 'string' && value in FORMAT_NAMES) {
      if (FORMAT_NAMES[value]) out.format = FORMAT_NAMES[value];
      continue;
    }
    out[key] = value;
  }
  const props = schema.properties as Record<string, Record<string, unknown>> | undefined;
  if (props && typeof props === 'object') {
    const required: string[] = [];
    const dependentRequired: Record<string, string[]> = {};
    out.properties = Object.fromEntries(
      Object.entries(props).map(([name, sub]) => {
        if (!sub.optional) required.push(name);
        if (typeof sub.requires === 'string') dependentRequired[name] = [sub.requires];
        return [name, fromDraft02(sub)];
      }),
    );
    if (required.length) out.required = required;
    if (Object.keys(dependentRequired).length) out.dependentRequired = dependentRequired;
  }
  return out;
}
