// Small helpers for processes that listen on ports.
import fs from 'node:fs';
import net from 'node:net';

/** The lowest port chosen by freePort: below it are the well-known and registered services people run by hand. */
const LOWEST_CHOSEN_PORT = 10_000;

/**
 * The ports the OS hands out by itself (a connection's source port, `listen(0)`), Linux's default where it cannot be
 * read. A port chosen for a server that starts only later must lie outside them: the embedded Temporal server takes
 * several of them for its own services, and every client connection takes one, so a free ephemeral port may be gone
 * by the time the console (which starts after its build) binds it.
 */
export function ephemeralPortRange(): [number, number] {
  try {
    const [low, high] = fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low && high && low <= high) return [low, high];
  } catch {
    // not Linux, or not readable: assume its default
  }
  return [32_768, 60_999];
}

/**
 * A port free right now on `host`, for a server that will listen on it soon: a random one below the OS's ephemeral
 * range when there is room there (so nothing takes it meanwhile), else whatever the OS offers.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const [low] = ephemeralPortRange();
  for (let attempt = 0; low - LOWEST_CHOSEN_PORT > 1_000 && attempt < 50; attempt++) {
    const port = LOWEST_CHOSEN_PORT + Math.floor(Math.random() * (low - LOWEST_CHOSEN_PORT));
    if (await isPortFree(port, host)) return port;
  }
  return osPort(host);
}

/** A port the OS considers free right now on `host` (from its ephemeral range). */
function osPort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** True when nothing accepts connections on host:port. */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

/** Polls `probe` until it returns a value, or throws after `timeoutMs` with the last error. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  { timeoutMs = 60_000, intervalMs = 250, abort }: { timeoutMs?: number; intervalMs?: number; abort?: () => Error | undefined } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    const stop = abort?.();
    if (stop) throw stop;
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const detail = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
