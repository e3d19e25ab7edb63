// What an operator filters on in the Temporal UI, set once when a workflow starts (never from workflow code, so no
// replay risk; continue-as-new keeps them and the memo: the SDK sends none, so the server copies the previous run's).
// A small set, all Keyword (exact match, cheap in every visibility store, within SQL visibility's column budget):
//   SafeguardKind          case | forensics | access: the three processes, instead of knowing their type names.
//   SafeguardTenantId      every workflow of one tenant (an infrastructure access request has none).
//   SafeguardDeploymentId  the deployment a case is about; a forensic analysis carries its case's, an access request
//                          the one it asks for.
//   SafeguardCategory      the case category (a forensic analysis carries its case's): "all phishing cases".
//   SafeguardCaseId        the case a forensic analysis or an access request belongs to. A case workflow has none:
//                          its row (and so its id) is made by its first activity, after the start.
// Status is left to Temporal's own ExecutionStatus (open access requests, pending or granted: SafeguardKind = "access"
// AND ExecutionStatus = "Running"): telling pending from granted would need the workflows to upsert an attribute.
import type { OperatorService, WorkflowStartOptions } from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';
import proto from '@temporalio/proto';
import type { Logger } from 'pino';
import type { CaseCategory } from '../domain/cases';
import type { AccessLevel } from '../domain/access/contracts';
import { config } from './config';
import { childLogger } from './log';

export const SafeguardKind = defineSearchAttributeKey('SafeguardKind', SearchAttributeType.KEYWORD);
export const SafeguardTenantId = defineSearchAttributeKey('SafeguardTenantId', SearchAttributeType.KEYWORD);
export const SafeguardDeploymentId = defineSearchAttributeKey('SafeguardDeploymentId', SearchAttributeType.KEYWORD);
export const SafeguardCategory = defineSearchAttributeKey('SafeguardCategory', SearchAttributeType.KEYWORD);
export const SafeguardCaseId = defineSearchAttributeKey('SafeguardCaseId', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTES = [SafeguardKind, SafeguardTenantId, SafeguardDeploymentId, SafeguardCategory, SafeguardCaseId] as const;

export type SafeguardWorkflowKind = 'case' | 'forensics' | 'access';

/**
 * What a start call spreads into its options: the attributes, and a one-line summary twice: as the UI's Summary
 * (staticSummary, shown in the list and the header, but given to one run only) and in the memo, which the server
 * copies to every run after continue-as-new (a long case's later runs would otherwise have none).
 */
export interface SearchMetadata extends Required<Pick<WorkflowStartOptions, 'staticSummary'>> {
  typedSearchAttributes: SearchAttributePair[];
  memo: { summary: string };
}

// The Summary is single-line Temporal markdown: the plain text is escaped whole, so no value can format or link.
const md = (text: string) => text.replace(/[\r\n]+/g, ' ').replace(/[\\`*_{}[\]()<>#+!|~]/g, (c) => `\\${c}`);
const metadata = (typedSearchAttributes: SearchAttributePair[], summary: string): SearchMetadata => ({ typedSearchAttributes, staticSummary: md(summary), memo: { summary } });
const label = (category: string) => category.replace(/_/g, ' ');
const capitalised = (text: string) => `${text.charAt(0).toUpperCase()}${text.slice(1)}`;

function pairs(kind: SafeguardWorkflowKind, values: { tenantId?: string | null; deploymentId?: string | null; category?: string; caseId?: string | null }): SearchAttributePair[] {
  const out: SearchAttributePair[] = [{ key: SafeguardKind, value: kind }];
  if (values.tenantId) out.push({ key: SafeguardTenantId, value: values.tenantId });
  if (values.deploymentId) out.push({ key: SafeguardDeploymentId, value: values.deploymentId });
  if (values.category) out.push({ key: SafeguardCategory, value: values.category });
  if (values.caseId) out.push({ key: SafeguardCaseId, value: values.caseId });
  return out;
}

/** An abuse case, from what intake has at hand (ids only: no query on the intake path for names). */
export function caseSearchMetadata(c: { tenantId: string; deploymentId: string; category: CaseCategory }): SearchMetadata {
  return metadata(pairs('case', c), `${capitalised(label(c.category))} case · deployment ${c.deploymentId} · tenant ${c.tenantId}`);
}

/** A forensic analysis of a case: the case's tenant, deployment and category, and how many deployments it targets. */
export function forensicsSearchMetadata(f: { caseId: string; tenantId: string; deploymentId: string | null; category: string; targets: number }): SearchMetadata {
  return metadata(
    pairs('forensics', f),
    `Forensic analysis · ${label(f.category)} case ${f.caseId} · ${f.targets} deployment${f.targets === 1 ? '' : 's'} · tenant ${f.tenantId}`,
  );
}

/** A just-in-time access request: to a deployment (with its tenant) or to an infrastructure scope. */
export function accessSearchMetadata(a: {
  requester: string;
  level: AccessLevel;
  tenantId: string | null;
  deploymentId: string | null;
  infraScope: string | null;
  caseId: string | null;
}): SearchMetadata {
  const target = a.deploymentId ? `deployment ${a.deploymentId} · tenant ${a.tenantId ?? 'unknown'}` : `infrastructure ${a.infraScope ?? 'unknown'}`;
  return metadata(pairs('access', a), `Access request · ${a.level} on ${target} · by ${a.requester}${a.caseId ? ` · case ${a.caseId}` : ''}`);
}

// ───────────── Registration ─────────────

const IndexedValueType = proto.temporal.api.enums.v1.IndexedValueType;
type IndexedValueType = proto.temporal.api.enums.v1.IndexedValueType;

const INDEXED: Record<SearchAttributeType, IndexedValueType> = {
  TEXT: IndexedValueType.INDEXED_VALUE_TYPE_TEXT,
  KEYWORD: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
  INT: IndexedValueType.INDEXED_VALUE_TYPE_INT,
  DOUBLE: IndexedValueType.INDEXED_VALUE_TYPE_DOUBLE,
  BOOL: IndexedValueType.INDEXED_VALUE_TYPE_BOOL,
  DATETIME: IndexedValueType.INDEXED_VALUE_TYPE_DATETIME,
  KEYWORD_LIST: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

/** The type's name as the CLI and the UI spell it (Keyword, KeywordList, …). */
export function indexedTypeName(type: IndexedValueType | number | string): string {
  const name = typeof type === 'string' ? type : (IndexedValueType[type] ?? `type ${type}`);
  return name
    .replace(/^INDEXED_VALUE_TYPE_/, '')
    .toLowerCase()
    .replace(/(^|_)([a-z])/g, (_, __: string, c: string) => c.toUpperCase());
}

export interface SearchAttributePlan {
  /** Ours that the namespace lacks, with the type to add them as. */
  missing: Record<string, IndexedValueType>;
  /** Ours that the namespace has with another type: nothing we write would be accepted. */
  clashes: { name: string; want: string; have: string }[];
}

/** Compares the namespace's custom attributes with ours. */
export function planSearchAttributes(existing: Record<string, IndexedValueType | number | string>): SearchAttributePlan {
  const plan: SearchAttributePlan = { missing: {}, clashes: [] };
  for (const key of SEARCH_ATTRIBUTES) {
    const want = INDEXED[key.type];
    const have = existing[key.name];
    if (have === undefined || have === null) plan.missing[key.name] = want;
    else if (indexedTypeName(have) !== indexedTypeName(want)) plan.clashes.push({ name: key.name, want: indexedTypeName(want), have: indexedTypeName(have) });
  }
  return plan;
}

export class SearchAttributeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SearchAttributeError';
  }
}

/** True for Temporal Cloud, where the operator service refuses to add search attributes. */
export function isTemporalCloud(): boolean {
  const c = config();
  return Boolean(c.TEMPORAL_API_KEY) || /\.tmprl\.cloud(:\d+)?$/.test(c.TEMPORAL_ADDRESS ?? '');
}

export interface EnsureSearchAttributesOptions {
  log?: Logger;
  /** Defaults to isTemporalCloud(). */
  cloud?: boolean;
  /** How long to wait for added attributes to be listed (and so accepted by starts). */
  timeoutMs?: number;
  intervalMs?: number;
}

const ALREADY_EXISTS = 6;

/**
 * Adds our search attributes the namespace lacks, and waits until it lists them: a start that carries one the
 * frontend does not know yet is refused. Safe to call from every worker at once (a concurrent add is re-checked, not
 * fatal); refuses when one of our names exists with another type. On Temporal Cloud it only says what to create.
 */
export async function ensureSearchAttributes(
  connection: { operatorService: OperatorService },
  namespace: string,
  opts: EnsureSearchAttributesOptions = {},
): Promise<{ added: string[]; cloud: boolean }> {
  const log = opts.log ?? childLogger('search-attributes');
  if (opts.cloud ?? isTemporalCloud()) {
    const wanted = SEARCH_ATTRIBUTES.map((k) => `${k.name} (${indexedTypeName(INDEXED[k.type])})`).join(', ');
    log.warn({ namespace }, `Temporal Cloud: create these search attributes in the Cloud console (or with tcld) for namespace ${namespace}: ${wanted}`);
    return { added: [], cloud: true };
  }
  const plan = async () => {
    const listed = await connection.operatorService.listSearchAttributes({ namespace });
    const result = planSearchAttributes(listed.customAttributes ?? {});
    if (result.clashes.length) {
      const what = result.clashes.map((c) => `${c.name} is ${c.have}, Safeguard needs ${c.want}`).join('; ');
      throw new SearchAttributeError(
        `Namespace ${namespace} has search attributes of the wrong type: ${what}. ` +
          'Remove them (temporal operator search-attribute remove --namespace … --name …) and start the worker again.',
      );
    }
    return result;
  };

  const first = await plan();
  const added = Object.keys(first.missing);
  if (!added.length) return { added, cloud: false };
  try {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: first.missing });
  } catch (err) {
    // Another worker added them first: the listing below decides whether what exists now is what we need.
    if ((err as { code?: number }).code !== ALREADY_EXISTS) {
      throw new SearchAttributeError(`Could not add search attributes ${added.join(', ')} to namespace ${namespace}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const until = Date.now() + timeoutMs;
  for (;;) {
    const now = await plan();
    if (!Object.keys(now.missing).length) break;
    if (Date.now() > until) {
      throw new SearchAttributeError(`Namespace ${namespace} still does not list ${Object.keys(now.missing).join(', ')} ${timeoutMs} ms after adding them.`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 250));
  }
  log.info({ namespace, added }, 'search attributes added');
  return { added, cloud: false };
}
