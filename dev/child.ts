// Child processes of `npm start` (worker, console): their output goes through our logger, and they stop in order.
import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from 'pino';

export interface ChildExit {
  name: string;
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Child {
  name: string;
  process: ChildProcess;
  /** Resolves when the process has exited, for whatever reason. */
  exited: Promise<ChildExit>;
  /** The last lines it printed, for error messages. */
  tail(): string;
  /** SIGTERM to its process group, SIGKILL after `graceMs`; resolves once it is gone. */
  stop(graceMs?: number): Promise<ChildExit>;
}

type Level = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

const PINO_LEVELS: Record<number, Level> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};

// Plain log lines that carry a level: the Temporal SDK's "<time> [LEVEL] message" (some followed by continuation
// lines) and its Rust core's "<time>  LEVEL target: message".
const LEVELED_LINE = /^\S+\s+\[?(TRACE|DEBUG|INFO|WARN|ERROR)\]?\s+(.*)$/;
const ANSI = /\u001b\[[0-9;]*m/g;

/**
 * Re-emits a child's line: pino JSON keeps its level and fields; Temporal SDK lines keep their level (continuation
 * lines inherit it); anything else is logged at the stream's level. Returns the level later continuation lines get.
 */
function forward(line: string, log: Logger, level: Level): Level {
  if (!line.trim()) return level;
  if (line.startsWith('{')) {
    try {
      const entry = JSON.parse(line) as { level?: number; msg?: string; time?: number; pid?: number; hostname?: string };
      const jsonLevel = entry.level !== undefined ? PINO_LEVELS[entry.level] : undefined;
      if (jsonLevel) {
        // `proc` names the child; its pid and time would clash with ours.
        const { level: _l, msg, time: _t, hostname: _h, pid: _p, ...fields } = entry;
        log[jsonLevel](fields, msg ?? '');
        return level;
      }
    } catch {
      // not JSON after all: print it as it is
    }
  }
  const plain = line.replace(ANSI, '').replace(/\s+$/, '');
  const leveled = LEVELED_LINE.exec(plain);
  if (leveled) {
    const lineLevel = leveled[1]!.toLowerCase() as Level;
    log[lineLevel](leveled[2]!);
    return lineLevel;
  }
  log[level](plain);
  return level;
}

// Every child leads its own process group, so Ctrl-C in the terminal reaches only us and we stop children in order.
const groups = new Set<number>();
process.once('exit', () => {
  for (const pid of groups) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is already empty
  }
}

export function spawnChild(
  name: string,
  command: string,
  args: string[],
  { cwd, env, log }: { cwd: string; env: NodeJS.ProcessEnv; log: Logger },
): Child {
  const child = spawn(command, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const childLog = log.child({ proc: name });
  const lines: string[] = [];
  const collect = (stream: NodeJS.ReadableStream | null, plainLevel: Level) => {
    let buffer = '';
    let level = plainLevel;
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      buffer += chunk;
      const parts = buffer.split('\n');
      buffer = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        if (lines.length > 60) lines.shift();
        level = forward(line, childLog, level);
      }
    });
    stream?.on('end', () => buffer && forward(buffer, childLog, level));
  };
  collect(child.stdout, 'info');
  collect(child.stderr, 'warn');
  if (child.pid) groups.add(child.pid);

  let exit: ChildExit | undefined;
  const exited = new Promise<ChildExit>((resolve) => {
    child.once('error', (err) => {
      childLog.error({ err }, `could not start ${name}`);
      exit = { name, code: 127, signal: null };
      resolve(exit);
    });
    child.once('exit', (code, signal) => {
      exit = { name, code, signal };
      // Grandchildren (Next.js workers, esbuild) die with the group leader.
      if (child.pid) {
        signalGroup(child.pid, 'SIGKILL');
        groups.delete(child.pid);
      }
      resolve(exit);
    });
  });

  const stop = async (graceMs = 10_000): Promise<ChildExit> => {
    if (exit) return exit;
    if (!child.pid) return exited;
    signalGroup(child.pid, 'SIGTERM');
    const timer = setTimeout(() => {
      childLog.warn({ graceMs }, `${name} did not stop in time; killing it`);
      signalGroup(child.pid!, 'SIGKILL');
    }, graceMs);
    const result = await exited;
    clearTimeout(timer);
    return result;
  };

  return { name, process: child, exited, tail: () => lines.slice(-25).join('\n'), stop };
}
