// What most integration tests run against: a fresh migrated database (optionally seeded), a real mail catcher,
// and a real worker on a task queue of its own.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import { startMailCatcher, type MailCatcher } from '../../dev/mailcatcher';
import { startAuditSealer } from '../../lib/audit';
import { createDb, type Db } from '../../lib/db';
import { log } from '../../lib/log';
import { seed } from '../../prisma/seed';
import { createTestDatabase, type TestDatabase } from './database';
import { startTestWorker, type TestWorker } from './worker';

export interface WorkerSystem {
  dataDir: string;
  database: TestDatabase;
  db: Db;
  catcher: MailCatcher;
  mailer: Transporter;
  tw: TestWorker;
  close(): Promise<void>;
}

export async function startWorkerSystem(name: string, opts: { seed?: boolean } = {}): Promise<WorkerSystem> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `safeguard-${name}-`));
  const database = await createTestDatabase();
  const db = createDb(database.url);
  if (opts.seed) await seed(db, { log: log.child({}, { level: 'warn' }) });
  // Only the catcher's warnings: every caught message would otherwise be a log line.
  const catcher = await startMailCatcher({ dataDir, smtpPort: 0, httpPort: 0, log: log.child({ component: 'mail' }, { level: 'warn' }) });
  const mailer = nodemailer.createTransport(catcher.smtpUrl);
  const tw = await startTestWorker({ db, mailer });
  const sealer = startAuditSealer(db);
  return {
    dataDir,
    database,
    db,
    catcher,
    mailer,
    tw,
    async close() {
      await sealer.stop();
      await tw.close();
      mailer.close();
      await catcher.stop();
      await db.$disconnect();
      await database.drop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
