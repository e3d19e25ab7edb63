// Starting the intake workflow of a stored report from the console (a confirmed web-form report, an inbox retry).
// lib/intake.ts starts it inside storeReport; these two cases need the start on its own.
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { config } from '../../lib/config';
import { reportWorkflowId } from '../../lib/intake';
import type { intakeReportWorkflow } from '../../workflows/intake';

/**
 * `once`: start unless an intake of this report ever ran (a second confirmation is harmless).
 * `again`: run it once more after an earlier run finished; refused (already started) while one is running.
 */
export async function startIntake(temporal: Client, reportId: string, mode: 'once' | 'again'): Promise<{ workflowId: string; started: boolean }> {
  const workflowId = reportWorkflowId(reportId);
  try {
    await temporal.workflow.start<typeof intakeReportWorkflow>('intakeReportWorkflow', {
      workflowId,
      taskQueue: config().TEMPORAL_TASK_QUEUE,
      args: [reportId],
      workflowIdReusePolicy: mode === 'once' ? WorkflowIdReusePolicy.REJECT_DUPLICATE : WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    });
    return { workflowId, started: true };
  } catch (err) {
    if (mode === 'once' && err instanceof WorkflowExecutionAlreadyStartedError) return { workflowId, started: false };
    throw err;
  }
}
