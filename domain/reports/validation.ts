// Which validator judges a structured report: the published schemas when configured, else our own zod schemas.
import { loadPublishedXarf02, loadPublishedXarfV4 } from './published-schemas';
import { validateXarf02 } from './schemas/xarf-02';
import { validateXarfV4, type SchemaVerdict } from './schemas/xarf-v4';
import type { SchemaDirs } from './types';

export interface Judgement {
  verdict: SchemaVerdict;
  by: 'published' | 'built-in';
  /** Why the published schemas were not used although configured. */
  note?: string;
}

export async function judgeXarfV4(doc: unknown, dirs: SchemaDirs): Promise<Judgement> {
  if (dirs.xarfV4) {
    const loaded = await loadPublishedXarfV4(dirs.xarfV4);
    if (loaded.ok) return { verdict: loaded.validator.validate(doc), by: 'published' };
    return { verdict: validateXarfV4(doc), by: 'built-in', note: `published X-ARF v4 schemas unavailable (${loaded.error}); checked with the built-in schemas` };
  }
  return { verdict: validateXarfV4(doc), by: 'built-in' };
}

export async function judgeXarf02(doc: Record<string, unknown>, dirs: SchemaDirs): Promise<Judgement> {
  if (dirs.xarf02) {
    const loaded = await loadPublishedXarf02(dirs.xarf02);
    if (loaded.ok) return { verdict: loaded.validator.validate(doc), by: 'published' };
    return { verdict: validateXarf02(doc), by: 'built-in', note: `published X-ARF 0.2 schemata unavailable (${loaded.error}); checked with the built-in schemas` };
  }
  return { verdict: validateXarf02(doc), by: 'built-in' };
}
