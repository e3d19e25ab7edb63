// Which scope text the consent page shows: before a decision, what would be accessed (or the part the tenant left
// checked); after an approval, what was approved, and whether that is narrower than what was proposed.
import { scopeText } from '../../../../domain/forensics/scope-text';
import type { ForensicScope } from '../../../../domain/forensics/types';
import type { ConsentView } from '../../../server/routers/forensic-consent';

export type ScopeShown = { heading: string; text: string; narrowed: boolean; proposedText?: string };

type ViewPart = Pick<ConsentView, 'decision' | 'approvedScope' | 'scopeText' | 'deploymentNames'> & { can: Pick<ConsentView['can'], 'decide'> };

/** `checked` is the scope an approval would cover now, when the tenant unchecked items; otherwise undefined. */
export function scopeShown(view: ViewPart, checked?: ForensicScope): ScopeShown {
  if (view.decision === 'approved' && view.approvedScope) {
    const text = scopeText(view.approvedScope as ForensicScope, { deployments: view.deploymentNames });
    return text === view.scopeText
      ? { heading: 'Exactly what you approved', text, narrowed: false }
      : { heading: 'Exactly what you approved (narrowed from what was proposed)', text, narrowed: true, proposedText: view.scopeText };
  }
  if (view.decision === 'declined') return { heading: 'What was proposed (declined: nothing is accessed)', text: view.scopeText, narrowed: false };
  if (view.can.decide && checked) {
    return { heading: 'Exactly what you would approve (the items you left checked)', text: scopeText(checked, { deployments: view.deploymentNames }), narrowed: true };
  }
  return { heading: 'Exactly what would be accessed', text: view.scopeText, narrowed: false };
}

/** Approving and declining are both signed: neither goes without the person's name and email. */
export const signedBy = (name: string, email: string): boolean => name.trim().length > 0 && /^[^\s@]+@[^\s@]+$/.test(email.trim());
