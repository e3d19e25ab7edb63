// Case policy: built-in defaults, CASE_POLICY overrides per category and severity, and clear errors for bad JSON.
import { describe, expect, it } from 'vitest';
import { casePolicyFor, DEFAULT_POLICY_TABLE, parseCasePolicyTable, remediationWindowFor } from '../../domain/case-policy';
import { DEFAULT_CASE_POLICY } from '../../domain/cases';

describe('case policy', () => {
  it('gives 48 hours with reminders 24 h and 4 h before by default', () => {
    const spam = casePolicyFor('spam');
    expect(spam).toMatchObject({ skipTriage: false, remediationWindow: '48 hours', reminderOffsets: ['24 hours', '4 hours'] });
    expect(remediationWindowFor(spam, 'medium')).toBe('48 hours');
    expect(remediationWindowFor(spam, 'critical')).toBe('24 hours');
  });

  it('lets a DoS from our own detectors skip triage', () => {
    expect(casePolicyFor('dos')).toMatchObject({ skipTriageOn: ['detection'], defaultSeverity: 'high' });
    expect(casePolicyFor('spam').skipTriageOn).toBeUndefined();
  });

  it('applies CASE_POLICY defaults, then the category, on top of the built-ins', () => {
    const table = parseCasePolicyTable(
      JSON.stringify({
        defaults: { remediationWindow: '72 hours' },
        categories: { spam: { skipTriage: true, remediationWindowBySeverity: { high: '12h' } } },
      }),
    );
    const spam = casePolicyFor('spam', table);
    expect(spam).toMatchObject({ skipTriage: true, remediationWindow: '72 hours' });
    expect(remediationWindowFor(spam, 'high')).toBe('12h');
    expect(remediationWindowFor(spam, 'critical')).toBe('24 hours');
    expect(remediationWindowFor(spam, 'low')).toBe('72 hours');
    expect(casePolicyFor('phishing', table).skipTriage).toBe(false);
    // The built-in table is not changed by an override.
    expect(DEFAULT_POLICY_TABLE.categories?.spam).toBeUndefined();
    expect(DEFAULT_CASE_POLICY.remediationWindow).toBe('48 hours');
  });

  it('refuses bad JSON, unknown categories, unknown fields and non-durations with the path', () => {
    expect(() => parseCasePolicyTable('{')).toThrow(/CASE_POLICY is not JSON/);
    expect(() => parseCasePolicyTable('{"categories":{"spamm":{}}}')).toThrow(/CASE_POLICY: categories/);
    expect(() => parseCasePolicyTable('{"defaults":{"window":"1h"}}')).toThrow(/CASE_POLICY/);
    expect(() => parseCasePolicyTable('{"defaults":{"remediationWindow":"soon"}}')).toThrow(/defaults\.remediationWindow/);
    expect(() => parseCasePolicyTable('{"defaults":{"remediationWindow":-5}}')).toThrow(/defaults\.remediationWindow/);
  });
});
