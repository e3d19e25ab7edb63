// An audit trail, oldest first: who did what and when, with the entry's data as text. The actor is named as the
// server resolved it (lib/actors.ts), the email or id behind the name as a tooltip. Names may be tenant-supplied:
// text only.
import type { ActorLabel } from '../../../lib/actors';
import './console.css';
import { utcSecond } from './utc';

export interface TimelineEntry {
  seq: string;
  at: Date;
  actorType: string;
  actorId: string;
  actor: ActorLabel;
  action: string;
  data: unknown;
}

export function Timeline({ entries }: { entries: TimelineEntry[] }) {
  if (entries.length === 0) return <p className="muted">Nothing recorded yet.</p>;
  return (
    <ol className="timeline" data-testid="timeline">
      {entries.map((e) => (
        <li key={e.seq} data-testid="timeline-entry" data-action={e.action}>
          <div>
            <time dateTime={new Date(e.at).toISOString()}>{utcSecond(e.at)}</time>{' '}
            <strong>{e.action}</strong>{' '}
            <span className="muted">
              by{' '}
              <span data-testid="timeline-actor" data-actor-type={e.actorType} title={e.actor.detail}>
                {e.actor.label}
              </span>
            </span>
          </div>
          {e.data !== null && typeof e.data === 'object' && Object.keys(e.data).length > 0 && (
            <details>
              <summary>details</summary>
              <pre className="text-block">{JSON.stringify(e.data, null, 2)}</pre>
            </details>
          )}
        </li>
      ))}
    </ol>
  );
}
