// The access policy is pure: which rule governs a request, how long a grant may last, what ACCESS_POLICY may say.
// And the words a request is shown in (to the tenant, in the mails), with the tenant's own text escaped in HTML.
import { describe, expect, it } from 'vitest';
import { accessConsentNotice, accessStaffNotice, type AccessNoticeInput } from '../../domain/access/notices';
import { DEFAULT_ACCESS_POLICY, maxMinutes, parseAccessPolicy, ruleFor, type AccessPolicy } from '../../domain/access/policy';
import { accessScopeText } from '../../domain/access/scope-text';

describe('access policy', () => {
  it('picks the default rule for each kind of request', () => {
    const p = DEFAULT_ACCESS_POLICY;
    expect(ruleFor(p, { targetKind: 'deployment', level: 'read', customerData: true })).toMatchObject({ name: 'customer data', approvals: 2, tenantConsent: true, maxDuration: '4 hours' });
    expect(ruleFor(p, { targetKind: 'deployment', level: 'admin', customerData: false })).toMatchObject({ name: 'tenant deployment', approvals: 1, tenantConsent: false });
    expect(ruleFor(p, { targetKind: 'infrastructure', level: 'admin', customerData: false, infraScope: 'network' })).toMatchObject({ name: 'infrastructure admin', approvals: 2 });
    expect(ruleFor(p, { targetKind: 'infrastructure', level: 'operate', customerData: false, infraScope: 'network' })).toMatchObject({ name: 'infrastructure', approvals: 1 });
    // Customer data exists only on deployments: an infrastructure request claiming it gets no tenant-consent rule.
    expect(ruleFor(p, { targetKind: 'infrastructure', level: 'read', customerData: true, infraScope: 'network' }).name).toBe('infrastructure');
  });

  it('gives the longest grant in minutes', () => {
    expect(maxMinutes(ruleFor(DEFAULT_ACCESS_POLICY, { targetKind: 'deployment', level: 'read', customerData: true }))).toBe(240);
    expect(maxMinutes(ruleFor(DEFAULT_ACCESS_POLICY, { targetKind: 'deployment', level: 'read', customerData: false }))).toBe(480);
  });

  it('matches infrastructure scopes and refuses a request no rule covers', () => {
    const p: AccessPolicy = {
      ...DEFAULT_ACCESS_POLICY,
      rules: [{ name: 'hypervisors', match: { targetKind: 'infrastructure', infraScopes: ['hypervisors'] }, approvals: 3, tenantConsent: false, maxDuration: '1 hours' }],
    };
    expect(ruleFor(p, { targetKind: 'infrastructure', level: 'read', customerData: false, infraScope: 'hypervisors' }).approvals).toBe(3);
    expect(() => ruleFor(p, { targetKind: 'infrastructure', level: 'read', customerData: false, infraScope: 'network' })).toThrow(/no access policy rule matches infrastructure\/read/);
    expect(() => ruleFor(p, { targetKind: 'deployment', level: 'read', customerData: false })).toThrow(/no access policy rule/);
  });

  it('reads ACCESS_POLICY over the defaults', () => {
    const p = parseAccessPolicy(JSON.stringify({ approvalWindow: '2 hours', infraScopes: ['network', 'storage'] }));
    expect(p.approvalWindow).toBe('2 hours');
    expect(p.infraScopes).toEqual(['network', 'storage']);
    expect(p.rules).toBe(DEFAULT_ACCESS_POLICY.rules);
    const named = parseAccessPolicy(
      JSON.stringify({ rules: [{ name: 'all', match: {}, approvals: 2, approvers: ['a@example.com', 'b@example.com'], tenantConsent: false, maxDuration: '30m' }] }),
    );
    expect(named.rules).toHaveLength(1);
    expect(maxMinutes(named.rules[0]!)).toBe(30);
  });

  it('refuses bad ACCESS_POLICY text with a readable reason', () => {
    const rule = { name: 'r', match: {}, approvals: 2, tenantConsent: false, maxDuration: '1 hours' };
    const bad = (v: unknown) => () => parseAccessPolicy(typeof v === 'string' ? v : JSON.stringify(v));
    expect(bad('{not json')).toThrow(/ACCESS_POLICY is not JSON/);
    expect(bad({ rules: [] })).toThrow(/rules/);
    expect(bad({ rules: [{ ...rule, approvals: 0 }] })).toThrow(/rules\.0\.approvals/);
    expect(bad({ rules: [{ ...rule, maxDuration: 'forever' }] })).toThrow(/rules\.0\.maxDuration/);
    expect(bad({ rules: [{ ...rule, match: { targetKind: 'moon' } }] })).toThrow(/rules\.0\.match\.targetKind/);
    expect(bad({ rules: [{ ...rule, approvers: ['not-an-email'] }] })).toThrow(/rules\.0\.approvers/);
    expect(bad({ infraScopes: ['Has Spaces'] })).toThrow(/infraScopes/);
    expect(bad({ surprise: true })).toThrow(/surprise|Unrecognized/i);
    // Fewer named approvers than approvals could never be met.
    expect(bad({ rules: [{ ...rule, approvals: 3, approvers: ['a@example.com', 'b@example.com'] }] })).toThrow(/rules\.0\.approvers: 3 approvals need at least that many approvers/);
  });
});

describe('access requests in words', () => {
  const facts = {
    requesterName: 'Robin Requester',
    targetKind: 'deployment' as const,
    level: 'read' as const,
    customerData: true,
    deploymentName: 'web"<prod>',
    tenantName: 'Acme <Labs>',
    reason: 'Lost mail: check the queue.',
    durationMinutes: 90,
  };

  it('says who, what, why and how long', () => {
    const text = accessScopeText(facts);
    expect(text.split('\n').map((l) => l.split(':')[0])).toEqual(['Who', 'What', 'Why', 'How long']);
    expect(text).toContain('Robin Requester');
    expect(text).toContain('read-only access');
    expect(text).toContain('deployment "web"<prod>" of Acme <Labs>, including the customer data');
    expect(text).toContain('1 hour 30 minutes from approval');
    expect(accessScopeText({ ...facts, customerData: false })).toContain('without access to the customer data');
    expect(accessScopeText({ ...facts, targetKind: 'infrastructure', infraScope: 'network', deploymentName: undefined })).toContain("the provider's network infrastructure");
  });

  const notice: AccessNoticeInput = {
    reference: 'abcd1234',
    facts,
    requiredApprovals: 2,
    tenantConsentRequired: true,
    deadlineAt: new Date('2026-12-01T14:00:00Z'),
    timeZone: 'Europe/Berlin',
    linkUrl: 'https://console.example/l/tok"en',
  };

  it("asks the tenant in their time zone and escapes the tenant's own names in HTML", () => {
    const email = accessConsentNotice(notice);
    expect(email.text).toContain(accessScopeText(facts).split('\n')[1]);
    expect(email.text).toContain('2026-12-01 14:00 UTC');
    expect(email.text).toContain('(Europe/Berlin)');
    expect(email.text).toContain('https://console.example/l/tok"en');
    expect(email.html).not.toMatch(/<prod>|<Labs>/);
    expect(email.html).toContain('web&#34;&#60;prod&#62;');
    expect(email.html).toContain('href="https://console.example/l/tok&#34;en"');
  });

  it('tells approvers what is needed and the requester how it ended', () => {
    const ask = accessStaffNotice('access_request', notice);
    expect(ask.subject).toContain('Robin Requester asks for read access');
    expect(ask.text).toContain("2 approvals from people other than the requester, and the tenant's consent");
    const denied = accessStaffNotice('access_denied', { ...notice, outcome: 'by Alex Approver', note: 'No ticket.' });
    expect(denied.text).toContain('was denied by Alex Approver. Comment: No ticket.');
    const ended = accessStaffNotice('access_ended', { ...notice, outcome: 'ended early by Robin Requester' });
    expect(ended.text).toContain('(ended early by Robin Requester)');
  });
});
