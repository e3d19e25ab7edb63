// A real worker *process* (`worker/main.ts`, as `npm run worker` runs it) that a test can kill with SIGKILL,
// the way a crashed machine or an OOM kill ends one: no shutdown, no completed tasks, nothing flushed.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface WorkerProcess {
  pid: number;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export interface WorkerProcessEnv {
  DATABASE_URL: string;
  TEMPORAL_ADDRESS: string;
  TEMPORAL_TASK_QUEUE: string;
  SMTP_URL: string;
  WORKFLOW_BUNDLE_PATH: string;
  PUBLIC_URL?: string;
}

/** Starts `worker/main.ts` and resolves once it polls the task queue. */
export async function startWorkerProcess(env: WorkerProcessEnv, timeoutMs = 60_000): Promise<WorkerProcess> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'worker/main.ts')], {
    cwd: root,
    env: { ...process.env, ...env, LOG_FORMAT: 'json', LOG_LEVEL: 'info', NODE_ENV: 'test' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`the worker process did not start polling in ${timeoutMs} ms:\n${output.join('')}`)), timeoutMs);
    const fail = (err: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(err);
    };
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      output.push(chunk);
      if (output.join('').includes('"worker polling"')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => output.push(chunk));
    child.once('exit', (code, signal) => fail(new Error(`the worker process exited (${code ?? signal}) before polling:\n${output.join('')}`)));
  });
  // After start-up only failures matter; keep the pipes drained so the child never blocks on a full pipe.
  child.stdout!.removeAllListeners('data').resume();
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  return {
    pid: child.pid!,
    async kill(signal = 'SIGKILL') {
      process.off('exit', killOnExit);
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
