// Ports for the embedded servers: chosen below the OS's ephemeral range, so nothing takes one before its server binds.
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { ephemeralPortRange, freePort, isPortFree } from '../../dev/net';

describe('freePort', () => {
  it('picks free ports below the ephemeral range, where the OS hands out no ports by itself', async () => {
    const [low, high] = ephemeralPortRange();
    expect(low).toBeLessThanOrEqual(high);
    const ports = await Promise.all(Array.from({ length: 20 }, () => freePort()));
    for (const port of ports) {
      expect(port).toBeGreaterThanOrEqual(10_000);
      expect(port).toBeLessThan(low);
      await expect(isPortFree(port)).resolves.toBe(true);
    }
    // Random, not one port handed to everybody.
    expect(new Set(ports).size).toBeGreaterThan(1);
  });

  it('never offers a port something already listens on', async () => {
    const port = await freePort();
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    try {
      await expect(isPortFree(port)).resolves.toBe(false);
      for (let i = 0; i < 50; i++) expect(await freePort()).not.toBe(port);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
