// `npm start`: the whole system on embedded defaults (see dev/stack.ts), until Ctrl-C.
import { config } from '../lib/config';
import { childLogger } from '../lib/log';
import { formatCredentials } from '../prisma/seed';
import { startStack, type Stack } from './stack';

const log = childLogger('start');

function banner(stack: Stack): string {
  const rows: [string, string | undefined][] = [
    ['Console', stack.urls.console],
    ['Temporal UI', stack.urls.temporalUi],
    ['Mailbox', stack.urls.mailbox],
    ['Mailbox API', stack.urls.mailboxApi && `${stack.urls.mailboxApi}/api/v1/messages`],
    ['Report intake', stack.urls.intakeSmtp],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = rows.filter(([, v]) => v).map(([k, v]) => `  ${k.padEnd(width)}  ${v}`);
  return ['', 'Safeguard is running:', ...lines, '', 'Press Ctrl-C to stop.', ''].join('\n') + '\n';
}

async function main(): Promise<number> {
  const c = config();
  const interrupted = new AbortController();
  let firstSignalAt = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    // Ctrl-C reaches us twice at once: from the terminal's process group and relayed by tsx's parent process.
    if (firstSignalAt && Date.now() - firstSignalAt < 1_000) return;
    if (firstSignalAt) {
      log.warn('second interrupt: exiting now (children are killed)');
      process.exit(130);
    }
    firstSignalAt = Date.now();
    log.info({ signal }, 'stopping (press Ctrl-C again to force)');
    interrupted.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  // PUBLIC_URL's default names port 3000; follow CONSOLE_PORT unless PUBLIC_URL was set to something else.
  const publicUrl = c.PUBLIC_URL === 'http://localhost:3000' ? `http://localhost:${c.CONSOLE_PORT}` : c.PUBLIC_URL;
  const stack = await startStack({
    dataDir: c.SAFEGUARD_DATA_DIR,
    databaseUrl: c.DATABASE_URL,
    temporalAddress: c.TEMPORAL_ADDRESS,
    temporalUiUrl: c.TEMPORAL_UI_URL,
    smtpUrl: c.SMTP_URL,
    mailboxUrl: c.MAILBOX_URL,
    namespace: c.TEMPORAL_NAMESPACE,
    taskQueue: c.TEMPORAL_TASK_QUEUE,
    publicUrl,
    ports: {
      console: c.CONSOLE_PORT,
      postgres: c.EMBEDDED_POSTGRES_PORT,
      smtp: c.EMBEDDED_SMTP_PORT,
      mailbox: c.EMBEDDED_MAILBOX_PORT,
      temporal: c.EMBEDDED_TEMPORAL_PORT,
      temporalUi: c.EMBEDDED_TEMPORAL_UI_PORT,
      intakeSmtp: c.INTAKE_SMTP_PORT,
    },
    signal: interrupted.signal,
  }).catch((err: unknown) => {
    if (interrupted.signal.aborted) return undefined;
    throw err;
  });
  if (!stack) {
    log.info('stopped before start-up finished');
    return 130;
  }

  log.info({ urls: stack.urls }, 'Safeguard is running');
  process.stdout.write(banner(stack));
  if (stack.seeded) process.stdout.write(formatCredentials(stack.seeded));

  const outcome = await Promise.race([
    stack.childExited.then((exit) => ({ exit })),
    new Promise<{ exit?: undefined }>((resolve) => interrupted.signal.addEventListener('abort', () => resolve({}))),
  ]);
  await stack.stop();
  if (outcome.exit) {
    log.error({ proc: outcome.exit.name, code: outcome.exit.code }, `${outcome.exit.name} died; everything else has been stopped`);
    return 1;
  }
  log.info('stopped; `npm start` again picks up the same data');
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    log.fatal({ err }, err instanceof Error ? err.message : 'start failed');
    process.exit(1);
  },
);
