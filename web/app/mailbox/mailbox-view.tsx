'use client';
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTRPC } from '../../lib/trpc';
import { linkify } from './linkify';
import { utcSecond } from '../components/utc';

// Inside the sandbox too, the message may fetch nothing: a remote image would tell its sender the mail was read.
// Its links open in a new tab: the console refuses to be framed, so a link followed inside the frame breaks it.
const NO_REMOTE_CONTENT =
  '<!DOCTYPE html><meta http-equiv="Content-Security-Policy" content="default-src \'none\'; img-src data: cid:; style-src \'unsafe-inline\'"><base target="_blank">';

const addr = (a: { Name?: string; Address: string }) => (a.Name ? `${a.Name} <${a.Address}>` : a.Address);

export function MailboxView() {
  const trpc = useTRPC();
  const [selected, setSelected] = useState<string | null>(null);
  const [asHtml, setAsHtml] = useState(false);
  const list = useQuery({ ...trpc.mailbox.list.queryOptions({ limit: 50, start: 0 }), refetchInterval: 5_000 });
  const message = useQuery({ ...trpc.mailbox.get.queryOptions({ id: selected ?? '' }), enabled: selected !== null });

  if (list.isPending) return <p>Loading…</p>;
  if (list.isError) return <p role="alert" className="error">{list.error.message}</p>;
  return (
    <div className="mailbox">
      {/* Its own container, so on a narrow screen the list scrolls sideways and the message below does not. */}
      <div>
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
                <td>{utcSecond(m.Created)}</td>
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
      </div>
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
              {message.data.Text && message.data.HTML && (
                <p>
                  <label>
                    <input type="checkbox" checked={asHtml} onChange={(e) => setAsHtml(e.target.checked)} /> Show the HTML
                    part
                  </label>
                </p>
              )}
              {/* Text is rendered as text; HTML only inside a sandbox with scripts, forms, same-origin and top navigation
                  disabled. Popups are allowed (escaping the sandbox) so a link can open in a tab of its own. */}
              {message.data.HTML && (asHtml || !message.data.Text) ? (
                <iframe
                  title="Message body (HTML)"
                  data-testid="mailbox-html"
                  sandbox="allow-popups allow-popups-to-escape-sandbox"
                  srcDoc={NO_REMOTE_CONTENT + message.data.HTML}
                  className="body-html"
                />
              ) : message.data.Text ? (
                <pre className="body" data-testid="mailbox-text">
                  {linkify(message.data.Text)}
                </pre>
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
