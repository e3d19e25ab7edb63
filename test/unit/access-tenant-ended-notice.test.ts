// The tenant's mail when an access to their customer data has ended: when (in their zone too), how, how many actions
// were recorded under it; the tenant's and the staff's own text escaped in HTML.
import { describe, expect, it } from 'vitest';
import { accessTenantEndedNotice, type AccessTenantEndedInput } from '../../domain/access/notices';

const input: AccessTenantEndedInput = {
  reference: 'abcd1234',
  facts: {
    requesterName: 'Robin <b>Requester</b>',
    targetKind: 'deployment',
    level: 'read',
    customerData: true,
    deploymentName: 'web"<prod>',
    tenantName: 'Acme <Labs>',
    reason: 'Lost mail: check the queue.',
    durationMinutes: 90,
  },
  requiredApprovals: 2,
  tenantConsentRequired: true,
  deadlineAt: new Date('2026-12-01T14:00:00Z'),
  timeZone: 'Europe/Berlin',
  endedAt: new Date('2026-12-01T15:30:00Z'),
  outcome: 'ended early by Hana <Approver>',
  actionCount: 3,
};

describe("the tenant's end-of-access mail", () => {
  it('says when and how the access ended and how many actions were recorded under it', () => {
    const email = accessTenantEndedNotice(input);
    expect(email.subject).toBe('[Safeguard access abcd1234] Our access to customer data on deployment "web"<prod>" has ended');
    expect(email.text).toContain('Hello Acme <Labs>,');
    expect(email.text).toContain('has ended (ended early by Hana <Approver>), and our access provider has confirmed that it was removed.');
    expect(email.text).toContain('3 actions were recorded under it.');
    expect(email.text).toContain('The access ended at: 2026-12-01 15:30 UTC');
    expect(email.text).toContain('16:30');
    expect(email.text).toContain('(Europe/Berlin)');
    expect(email.text).toContain('Lost mail: check the queue.');
    expect(accessTenantEndedNotice({ ...input, actionCount: 1 }).text).toContain('1 action was recorded under it.');
    expect(accessTenantEndedNotice({ ...input, actionCount: 0 }).text).toContain('No actions were recorded under it.');
  });

  it('escapes every name in HTML', () => {
    const { html } = accessTenantEndedNotice(input);
    expect(html).not.toMatch(/<prod>|<Labs>|<Approver>|<b>Requester/);
    expect(html).toContain('web&#34;&#60;prod&#62;');
    expect(html).toContain('Acme &#60;Labs&#62;');
    expect(html).toContain('Hana &#60;Approver&#62;');
  });
});
