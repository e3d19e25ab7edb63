// Which case actions a user may take, decided once from their role and the case row. The page shows exactly these;
// the procedures refuse anything else before asking the workflow (whose validators have the last word).
import type { CaseState, ExtensionStatus } from '../../domain/cases';
import { roleAllows, type Role } from '../../domain/roles';

export const CASE_ACTIONS = ['triage', 'decideExtension', 'verifyRemediation'] as const;
export type CaseAction = (typeof CASE_ACTIONS)[number];

/** The weakest role that may take each action (the analyst acts on cases; stronger roles may too). */
export const CASE_ACTION_ROLE: Record<CaseAction, Role> = {
  triage: 'analyst',
  decideExtension: 'analyst',
  verifyRemediation: 'analyst',
};

/** What the decision needs from the Case row. */
export interface CaseActionFacts {
  state: CaseState;
  extensionStatus: string | null;
  remediation: string | null;
}

export type AllowedActions = Record<CaseAction, boolean>;

/** Why an action is not possible now, written for the person who tried; null when it is. */
export function caseActionRefusal(action: CaseAction, role: Role, c: CaseActionFacts): string | null {
  const need = CASE_ACTION_ROLE[action];
  if (!roleAllows(role, need)) return `This needs the ${need} role; you are ${role}.`;
  if (c.state === 'closed' || c.state === 'rejected') return `This case is ${c.state}; no further action is possible.`;
  switch (action) {
    case 'triage':
      return c.state === 'triage' ? null : `This case was already triaged (it is ${stateText(c.state)}).`;
    case 'decideExtension':
      if (c.state === 'suspended') return 'The deployment is already suspended; an extension can no longer be granted.';
      if (c.state === 'triage') return 'This case has not been triaged yet.';
      return (c.extensionStatus as ExtensionStatus | null) === 'requested' ? null : 'There is no extension request waiting for a decision.';
    case 'verifyRemediation':
      if (c.state === 'triage') return 'This case has not been triaged yet.';
      return c.remediation ? null : 'The tenant has not described a remediation to verify.';
  }
}

/** Every action with whether it is allowed now. */
export function allowedCaseActions(role: Role, c: CaseActionFacts): AllowedActions {
  return Object.fromEntries(CASE_ACTIONS.map((a) => [a, caseActionRefusal(a, role, c) === null])) as AllowedActions;
}

export const CASE_STATE_LABELS: Record<CaseState, string> = {
  triage: 'waiting for triage',
  notified: 'tenant notified',
  remediation_submitted: 'remediation submitted',
  suspended: 'deployment suspended',
  closed: 'closed',
  rejected: 'rejected',
};

export const CASE_STATES = Object.keys(CASE_STATE_LABELS) as CaseState[];
export const OPEN_CASE_STATES: CaseState[] = ['triage', 'notified', 'remediation_submitted', 'suspended'];

export const stateText = (state: CaseState) => CASE_STATE_LABELS[state];
