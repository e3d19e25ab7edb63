// Registering the operators' search attributes against a fake operator service: what is added, what is refused,
// a concurrent add, a server slow to list what it added, Temporal Cloud; and what each start carries.
import type { OperatorService } from '@temporalio/client';
import proto from '@temporalio/proto';
import { afterEach, describe, expect, it } from 'vitest';
import { resetConfigForTests } from '../../lib/config';
import { log } from '../../lib/log';
import {
  accessSearchMetadata,
  caseSearchMetadata,
  ensureSearchAttributes,
  forensicsSearchMetadata,
  indexedTypeName,
  isTemporalCloud,
  planSearchAttributes,
  SafeguardCaseId,
  SafeguardKind,
  SafeguardTenantId,
  SEARCH_ATTRIBUTES,
} from '../../lib/search-attributes';

const { IndexedValueType } = proto.temporal.api.enums.v1;
const KEYWORD = IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD;
const quiet = log.child({}, { level: 'silent' });
const ALL = Object.fromEntries(SEARCH_ATTRIBUTES.map((k) => [k.name, KEYWORD]));

/** An operator service over a map; `lag` list calls after an add still show the old map (a frontend cache). */
function fakeOperator(initial: Record<string, number>, opts: { lag?: number; onAdd?: (attrs: Record<string, number>) => void } = {}) {
  let attrs = { ...initial };
  let visible = { ...initial };
  let lag = 0;
  const calls: { add: Record<string, number>[]; list: number } = { add: [], list: 0 };
  const operatorService = {
    async listSearchAttributes() {
      calls.list++;
      if (lag > 0) lag--;
      else visible = { ...attrs };
      return { customAttributes: { ...visible }, systemAttributes: {}, storageSchema: {} };
    },
    async addSearchAttributes(req: { searchAttributes: Record<string, number> }) {
      calls.add.push(req.searchAttributes);
      if (opts.onAdd) return opts.onAdd(req.searchAttributes);
      attrs = { ...attrs, ...req.searchAttributes };
      lag = opts.lag ?? 0;
      return {};
    },
  };
  return {
    connection: { operatorService: operatorService as unknown as OperatorService },
    calls,
    set(next: Record<string, number>) {
      attrs = { ...next };
    },
  };
}

afterEach(() => {
  delete process.env.TEMPORAL_API_KEY;
  delete process.env.TEMPORAL_ADDRESS;
  resetConfigForTests();
});

describe('planning', () => {
  it('lists what is missing with its type and what exists with another type, and ignores attributes not ours', () => {
    const plan = planSearchAttributes({ SafeguardKind: KEYWORD, SafeguardTenantId: IndexedValueType.INDEXED_VALUE_TYPE_TEXT, CustomerRegion: KEYWORD });
    expect(plan.missing).toEqual({ SafeguardDeploymentId: KEYWORD, SafeguardCategory: KEYWORD, SafeguardCaseId: KEYWORD });
    expect(plan.clashes).toEqual([{ name: 'SafeguardTenantId', want: 'Keyword', have: 'Text' }]);
    expect(planSearchAttributes(ALL)).toEqual({ missing: {}, clashes: [] });
  });

  it('names types as the CLI does, from the enum, its number or its proto name', () => {
    expect(indexedTypeName(IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST)).toBe('KeywordList');
    expect(indexedTypeName('INDEXED_VALUE_TYPE_DATETIME')).toBe('Datetime');
    expect(planSearchAttributes({ ...ALL, SafeguardCaseId: 'INDEXED_VALUE_TYPE_KEYWORD' }).clashes).toEqual([]);
  });
});

describe('ensureSearchAttributes', () => {
  it('adds only the missing ones, in one call, and nothing the second time', async () => {
    const fake = fakeOperator({ SafeguardKind: KEYWORD, Other: IndexedValueType.INDEXED_VALUE_TYPE_INT });
    const first = await ensureSearchAttributes(fake.connection, 'ns', { log: quiet, cloud: false });
    expect(first.added).toEqual(['SafeguardTenantId', 'SafeguardDeploymentId', 'SafeguardCategory', 'SafeguardCaseId']);
    expect(fake.calls.add).toEqual([{ SafeguardTenantId: KEYWORD, SafeguardDeploymentId: KEYWORD, SafeguardCategory: KEYWORD, SafeguardCaseId: KEYWORD }]);
    await expect(ensureSearchAttributes(fake.connection, 'ns', { log: quiet, cloud: false })).resolves.toEqual({ added: [], cloud: false });
    expect(fake.calls.add).toHaveLength(1);
  });

  it('waits until the server lists what it added, and gives up after the bound', async () => {
    const slow = fakeOperator({}, { lag: 3 });
    await ensureSearchAttributes(slow.connection, 'ns', { log: quiet, cloud: false, intervalMs: 1 });
    // One listing to plan, three stale ones, one that shows them.
    expect(slow.calls.list).toBe(5);

    const never = fakeOperator({}, { lag: 1_000_000 });
    await expect(ensureSearchAttributes(never.connection, 'ns', { log: quiet, cloud: false, timeoutMs: 30, intervalMs: 5 })).rejects.toThrow(
      /^Namespace ns still does not list SafeguardKind, SafeguardTenantId, SafeguardDeploymentId, SafeguardCategory, SafeguardCaseId 30 ms after adding them\.$/,
    );
  });

  it('refuses a name taken with another type before adding anything', async () => {
    const fake = fakeOperator({ SafeguardCaseId: IndexedValueType.INDEXED_VALUE_TYPE_INT, SafeguardKind: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD_LIST });
    await expect(ensureSearchAttributes(fake.connection, 'prod', { log: quiet, cloud: false })).rejects.toThrow(
      'Namespace prod has search attributes of the wrong type: SafeguardKind is KeywordList, Safeguard needs Keyword; SafeguardCaseId is Int, Safeguard needs Keyword.',
    );
    expect(fake.calls.add).toEqual([]);
  });

  it('takes a concurrent add (already exists) as done when the result is what it needs, and refuses when it is not', async () => {
    const alreadyExists = () => {
      throw Object.assign(new Error('6 ALREADY_EXISTS: search attribute SafeguardKind already exists'), { code: 6 });
    };
    const other = fakeOperator({}, { onAdd: () => (other.set(ALL), alreadyExists()) });
    await expect(ensureSearchAttributes(other.connection, 'ns', { log: quiet, cloud: false })).resolves.toMatchObject({ cloud: false });
    expect(other.calls.add).toHaveLength(1);

    const wrong = fakeOperator({}, { onAdd: () => (wrong.set({ ...ALL, SafeguardTenantId: IndexedValueType.INDEXED_VALUE_TYPE_TEXT }), alreadyExists()) });
    await expect(ensureSearchAttributes(wrong.connection, 'ns', { log: quiet, cloud: false })).rejects.toThrow('SafeguardTenantId is Text, Safeguard needs Keyword');

    const denied = fakeOperator({}, { onAdd: () => {
      throw Object.assign(new Error('7 PERMISSION_DENIED: Request unauthorized.'), { code: 7 });
    } });
    await expect(ensureSearchAttributes(denied.connection, 'ns', { log: quiet, cloud: false })).rejects.toThrow(
      'Could not add search attributes SafeguardKind, SafeguardTenantId, SafeguardDeploymentId, SafeguardCategory, SafeguardCaseId to namespace ns: 7 PERMISSION_DENIED',
    );
  });

  it('on Temporal Cloud (an API key, or a tmprl.cloud address) calls nothing', async () => {
    expect(isTemporalCloud()).toBe(false);
    process.env.TEMPORAL_API_KEY = 'key';
    resetConfigForTests();
    expect(isTemporalCloud()).toBe(true);
    const fake = fakeOperator({});
    await expect(ensureSearchAttributes(fake.connection, 'acme.a1b2c', { log: quiet })).resolves.toEqual({ added: [], cloud: true });
    expect(fake.calls).toEqual({ add: [], list: 0 });

    delete process.env.TEMPORAL_API_KEY;
    process.env.TEMPORAL_ADDRESS = 'acme.a1b2c.tmprl.cloud:7233';
    resetConfigForTests();
    expect(isTemporalCloud()).toBe(true);
  });
});

describe('what a start carries', () => {
  const tenantId = '6f1c1e2a-0000-4000-8000-000000000001';
  const deploymentId = '6f1c1e2a-0000-4000-8000-000000000002';
  const caseId = '6f1c1e2a-0000-4000-8000-000000000003';

  it('a case: its kind, tenant, deployment and category, and the summary in the memo too', () => {
    const m = caseSearchMetadata({ tenantId, deploymentId, category: 'hacking_port_scan' });
    expect(m.typedSearchAttributes).toEqual([
      { key: SafeguardKind, value: 'case' },
      { key: SafeguardTenantId, value: tenantId },
      { key: expect.objectContaining({ name: 'SafeguardDeploymentId' }), value: deploymentId },
      { key: expect.objectContaining({ name: 'SafeguardCategory' }), value: 'hacking_port_scan' },
    ]);
    expect(m.staticSummary).toBe(`Hacking port scan case · deployment ${deploymentId} · tenant ${tenantId}`);
    expect(m.memo).toEqual({ summary: m.staticSummary });
  });

  it('an infrastructure access request has no tenant; markdown in a value is escaped in the Summary, not in the memo', () => {
    const m = accessSearchMetadata({ requester: 'j_doe+ops@x.test', level: 'admin', tenantId: null, deploymentId: null, infraScope: 'network', caseId: null });
    expect(m.typedSearchAttributes).toEqual([{ key: SafeguardKind, value: 'access' }]);
    expect(m.memo.summary).toBe('Access request · admin on infrastructure network · by j_doe+ops@x.test');
    expect(m.staticSummary).toBe('Access request · admin on infrastructure network · by j\\_doe\\+ops@x.test');
    const link = accessSearchMetadata({ requester: '[a](http://evil.test)\n# b', level: 'read', tenantId, deploymentId, infraScope: null, caseId });
    expect(link.staticSummary).toContain('by \\[a\\]\\(http://evil.test\\) \\# b · case');
  });

  it('a forensic analysis: its case, and its deployment count', () => {
    const m = forensicsSearchMetadata({ caseId, tenantId, deploymentId: null, category: 'malware_hosting', targets: 3 });
    expect(m.typedSearchAttributes.map((p) => p.key.name)).toEqual(['SafeguardKind', 'SafeguardTenantId', 'SafeguardCategory', 'SafeguardCaseId']);
    expect(m.typedSearchAttributes.find((p) => p.key === SafeguardCaseId)?.value).toBe(caseId);
    expect(m.staticSummary).toBe(`Forensic analysis · malware hosting case ${caseId} · 3 deployments · tenant ${tenantId}`);
  });
});
