// Contracts of the forensics pillar shared by the workflow, its activities, the console and the CLI.
// No zod, no Node built-ins: workflows import this file (schemas live in scope.ts).

export const DATA_KINDS = ['memory_snapshot', 'disk_snapshot', 'logs', 'network_capture'] as const;
export type DataKind = (typeof DATA_KINDS)[number];

/** How each kind is named to a tenant; the order of DATA_KINDS is the order they are listed in. */
export const DATA_KIND_LABELS: Record<DataKind, string> = {
  memory_snapshot: 'Memory snapshot',
  disk_snapshot: 'Disk snapshot',
  logs: 'System logs',
  network_capture: 'Network capture',
};

export const DEFAULT_ACCESS_HOURS = 8;
export const MAX_ACCESS_HOURS = 72;
export const DEFAULT_RETENTION_DAYS = 30;
export const MAX_RETENTION_DAYS = 365;

export interface ScopeTarget {
  deploymentId: string;
  /** The machines inside the deployment; absent means every VM the deployment has when collection runs. */
  vmIds?: string[];
}

export interface ForensicScope {
  targets: ScopeTarget[];
  dataKinds: DataKind[];
}

export interface ProposalInput {
  caseId: string;
  scope: ForensicScope;
  purpose: string;
  /** How long forensic activities may run after the tenant approves. */
  accessHours: number;
  /** How long collected artifacts are kept after the analysis ends. */
  retentionDays: number;
}

/** One thing a collection would touch: checked against the approved scope before it runs. */
export interface ScopeItem {
  deploymentId: string;
  vmId: string;
  kind: DataKind;
}

export type Narrowed = { ok: true; scope: ForensicScope } | { ok: false; errors: string[] };
