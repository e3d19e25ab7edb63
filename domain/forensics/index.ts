// The forensics pillar's pure domain: scope and consent text, chain of custody, analysis and the report.
// Workflows import './types' and './scope-rules' only (this index pulls in zod and node:crypto).
export * from './types';
export * from './scope-rules';
export { DataKindSchema, ForensicScopeSchema, MAX_PURPOSE, MAX_TARGETS, MAX_VMS_PER_TARGET, ProposalInputSchema, ScopeTargetSchema, scopeHash, scopeText } from './scope';
export type { ScopeNames, ScopeTerms } from './scope';
export * from './custody';
export * from './bundle';
export { EVENT_KINDS, recogniseEvents, type EventKind, type RecognisedEvent } from './events';
export * from './indicators';
export { parseSyslogLine, parseIsoTimestamp, zonedToUtcMs, type SyslogLine, type SyslogTimeOptions } from './syslog';
export { plainText } from './plain-text';
export * from './analysis';
