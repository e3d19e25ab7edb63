// A task a process repeats in the background until stopped (the audit sealer, the intake sweeper): runs `step`,
// again at once when it says there is more to do, otherwise after `intervalMs`; stop() wakes it and waits for it.
export interface BackgroundLoop {
  stop(): Promise<void>;
}

export function runInBackground(step: () => Promise<boolean>, intervalMs: number): BackgroundLoop {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let wake: (() => void) | undefined;
  const loop = (async () => {
    while (!stopped) {
      const more = await step();
      if (!more && !stopped) await new Promise<void>((r) => ((wake = r), (timer = setTimeout(r, intervalMs))));
    }
  })();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      wake?.();
      await loop;
    },
  };
}
