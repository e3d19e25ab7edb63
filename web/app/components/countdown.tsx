'use client';
// A live countdown to a deadline, ticking every second in the browser. One timer per page, shared by every countdown.
import { useEffect, useState, useSyncExternalStore } from 'react';
import { formatTimeLeft, urgency } from './time-left';
import './console.css';

const listeners = new Set<() => void>();
let timer: ReturnType<typeof setInterval> | undefined;
let now = Date.now();

function subscribe(listener: () => void) {
  listeners.add(listener);
  if (!timer) now = Date.now();
  timer ??= setInterval(() => {
    now = Date.now();
    for (const l of listeners) l();
  }, 1000);
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0 && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  };
}

/** The current time, updated every second while any countdown is on the page. */
export function useNow(): number {
  return useSyncExternalStore(subscribe, () => now, () => now);
}

export function Countdown({ deadline, testId }: { deadline: Date | string; testId?: string }) {
  const at = new Date(deadline).getTime();
  const current = useNow();
  // The server's clock renders nothing: the first paint in the browser shows the browser's time.
  const [mounted, setMounted] = useState(false);
  useEffect(() => setMounted(true), []);
  if (!mounted) return <span className="countdown" data-testid={testId} />;
  const left = at - current;
  return (
    <span className={`countdown ${urgency(left)}`} data-testid={testId} data-ms-left={left} title={new Date(at).toISOString()}>
      {formatTimeLeft(left)}
    </span>
  );
}
