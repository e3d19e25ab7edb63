// All activities, built from their dependencies. Workflows import only the type of this factory.
import type { Client } from '@temporalio/client';
import type { Transporter } from 'nodemailer';
import type { AccessProvider } from '../lib/access-provider';
import type { Db } from '../lib/db';
import { createAccessActivities } from './access';
import { createAuditActivities } from './audit';
import { createCaseActivities } from './cases';
import { createForensicsAnalysisActivities, createForensicsCollectionActivities, createForensicsRecordActivities } from './forensics';
import { createHealthActivities } from './health';
import { createMailActivities } from './mail';

export interface ActivityDeps {
  db: Db;
  mailer: Transporter;
  /** For activities that start or signal other workflows (signal-with-start of a case). */
  temporal: Client;
  /** The worker's identity, recorded where a row says who did the work. */
  identity: string;
  /** Where access grants are bound and revoked (default: the local bindings in our database). */
  accessProvider?: AccessProvider;
}

export function createActivities(deps: ActivityDeps) {
  return {
    ...createHealthActivities(deps),
    ...createAuditActivities(deps),
    ...createMailActivities(deps),
    ...createCaseActivities(deps),
    ...createForensicsRecordActivities(deps),
    ...createForensicsCollectionActivities(deps),
    ...createForensicsAnalysisActivities(deps),
    ...createAccessActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
