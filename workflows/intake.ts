// One stored report's way to its case: parse, attribute to the tenant that held the address at the event time,
// then attach it to the case of each (deployment, category). Failures to parse or attribute end in the inbox.
// Every step is audited by its activity, in the same transaction as the report row it changes.
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { dbWrite } from './options';

const intake = proxyActivities<Activities>(dbWrite);

export type IntakeOutcome =
  | { reportId: string; outcome: 'parse_failed'; error: string }
  | { reportId: string; outcome: 'unattributed'; note: string }
  | { reportId: string; outcome: 'routed'; cases: string[] };

export async function intakeReportWorkflow(reportId: string): Promise<IntakeOutcome> {
  const parsed = await intake.parseStoredReport({ reportId });
  if (!parsed.ok) return { reportId, outcome: 'parse_failed', error: parsed.error };

  const attribution = await intake.attributeReport({ reportId });
  if (attribution.status === 'unattributed') return { reportId, outcome: 'unattributed', note: attribution.note };

  const cases: string[] = [];
  for (const target of attribution.targets) {
    const { workflowId } = await intake.routeToCase({ reportId, deploymentId: target.deploymentId, tenantId: target.tenantId, category: parsed.category });
    cases.push(workflowId);
  }
  return { reportId, outcome: 'routed', cases };
}
