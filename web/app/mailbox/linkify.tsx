import type { ReactNode } from 'react';

// Mail text is attacker-controlled: only http(s) URLs become links, shown as the text they are, opening in a new
// tab that gets no handle on this page. Everything else stays text (React escapes it).
const URL_IN_TEXT = /https?:\/\/[^\s<>"']+/g;
// Sentence punctuation right after a URL ("see https://x.example/a.") is not part of it.
const TRAILING = /[.,;:!?)\]}]+$/;

export function linkify(text: string): ReactNode[] {
  const parts: ReactNode[] = [];
  let last = 0;
  for (const match of text.matchAll(URL_IN_TEXT)) {
    const url = match[0].replace(TRAILING, '');
    const start = match.index;
    if (!isHttpUrl(url)) continue;
    if (start > last) parts.push(text.slice(last, start));
    parts.push(
      <a key={start} href={url} target="_blank" rel="noopener noreferrer">
        {url}
      </a>,
    );
    last = start + url.length;
  }
  if (last < text.length) parts.push(text.slice(last));
  return parts;
}

function isHttpUrl(s: string): boolean {
  try {
    const { protocol } = new URL(s);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
}
