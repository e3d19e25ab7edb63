'use client';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTRPC } from '../../lib/trpc';

const addr = (a: { Name?: string; Address: string }) => (a.Name ? `${a.Name} <${a.Address}>` : a.Address);

export function MailboxView() {
  const trpc = useTRPC();
  const [selected, setSelected] = useState<string | null>(null);
  const list = useQuery({ ...trpc.mailbox.list.queryOptions({ limit: 50, start: 0 }), refetchInterval: 5_000 });
  const message = useQuery({ ...trpc.mailbox.get.queryOptions({ id: selected ?? '' }), enabled: selected !== null });

  if (list.isPending) return <p>Loading…</p>;
  if (list.isError) return <p role="alert" className="error">{list.error.message}</p>;
  return (
    <div className="mailbox">
      <table className="list" data-testid="mailbox-list">
        <thead>
          <tr>
            <th>Received</th>
            <th>To</th>
            <th>Subject</th>
          </tr>
        </thead>
        <tbody>
          {list.data.messages.length === 0 && (
            <tr>
              <td colSpan={3}>No messages yet.</td>
            </tr>
          )}
          {list.data.messages.map((m) => (
            <tr key={m.ID} className={m.ID === selected ? 'selected' : undefined} onClick={() => setSelected(m.ID)}>
              <td>{new Date(m.Created).toLocaleString()}</td>
              <td>{m.To.map(addr).join(', ')}</td>
              <td>
                <button type="button" className="link" onClick={() => setSelected(m.ID)}>
                  {m.Subject || '(no subject)'}
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {selected && (
        <article className="message" data-testid="mailbox-message">
          {message.isPending && <p>Loading…</p>}
          {message.isError && <p role="alert" className="error">{message.error.message}</p>}
          {message.data && (
            <>
              <h2>{message.data.Subject || '(no subject)'}</h2>
              <p className="muted">
                From {addr(message.data.From ?? { Address: 'unknown' })} to {message.data.To.map(addr).join(', ')}
              </p>
              {/* Text is rendered as text; HTML only inside a sandbox with scripts, forms and navigation disabled. */}
              {message.data.Text ? (
                <pre className="body">{message.data.Text}</pre>
              ) : message.data.HTML ? (
                <iframe title="Message body" sandbox="" srcDoc={message.data.HTML} className="body-html" />
              ) : (
                <p className="muted">(empty body)</p>
              )}
            </>
          )}
        </article>
      )}
    </div>
  );
}
