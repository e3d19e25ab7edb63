// The forensic consent page's scope text: after an approval it shows what was approved (and says when that is
// narrower than what was proposed), and approving needs the same name and email as declining.
import { describe, expect, it } from 'vitest';
import { scopeText } from '../../domain/forensics/scope-text';
import type { ForensicScope } from '../../domain/forensics/types';
import { scopeShown, signedBy } from '../../web/app/f/[token]/scope-shown';

const DEPLOYMENT = '6f1c2a6e-8d2b-4c1e-9a57-3a4b5c6d7e8f';
const names = { [DEPLOYMENT]: 'shop-prod' };
const proposed: ForensicScope = { targets: [{ deploymentId: DEPLOYMENT }], dataKinds: ['memory_snapshot', 'logs'] } as ForensicScope;
const logsOnly: ForensicScope = { targets: [{ deploymentId: DEPLOYMENT }], dataKinds: ['logs'] } as ForensicScope;
const view = (more: Partial<Parameters<typeof scopeShown>[0]>) => ({
  decision: null,
  approvedScope: null,
  scopeText: scopeText(proposed, { deployments: names }),
  deploymentNames: names,
  can: { decide: true },
  ...more,
});

describe('consent page scope', () => {
  it('shows the narrowed approval after the decision, not the proposal', () => {
    const shown = scopeShown(view({ decision: 'approved', approvedScope: logsOnly as never, can: { decide: false } }));
    expect(shown.narrowed).toBe(true);
    expect(shown.heading).toBe('Exactly what you approved (narrowed from what was proposed)');
    expect(shown.text).toContain('System logs');
    expect(shown.text).not.toMatch(/memory/i);
    expect(shown.proposedText).toMatch(/Memory snapshot/);
  });

  it('says an approval of the whole proposal is what was approved', () => {
    const shown = scopeShown(view({ decision: 'approved', approvedScope: proposed as never, can: { decide: false } }));
    expect(shown).toMatchObject({ heading: 'Exactly what you approved', narrowed: false });
    expect(shown.proposedText).toBeUndefined();
  });

  it('before a decision shows the proposal, or the items left checked', () => {
    expect(scopeShown(view({})).heading).toBe('Exactly what would be accessed');
    const checked = scopeShown(view({}), logsOnly);
    expect(checked).toMatchObject({ heading: 'Exactly what you would approve (the items you left checked)', narrowed: true });
    expect(checked.text).not.toMatch(/memory/i);
  });

  it('needs a name and an email address to approve or decline', () => {
    expect(signedBy('', '')).toBe(false);
    expect(signedBy('Dana Owner', '')).toBe(false);
    expect(signedBy('  ', 'dana@tenant.example')).toBe(false);
    expect(signedBy('Dana Owner', 'not an address')).toBe(false);
    expect(signedBy('Dana Owner', 'dana@tenant.example')).toBe(true);
  });
});
