'use client';
// Upload of a reported mail (.eml) by an analyst: read in the browser, sent as base64, stored through the mail channel.
import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { FormError } from '../components/form-error';
import { useTRPC } from '../../lib/trpc';

/** The server's limit (REPORT_MAX_BYTES) is checked again there; this saves sending a file that cannot fit. */
const CLIENT_MAX_BYTES = 10 * 1024 * 1024;

function toBase64(buffer: ArrayBuffer): string {
  const bytes = new Uint8Array(buffer);
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

export function EmlUpload({ onStored }: { onStored: () => void }) {
  const trpc = useTRPC();
  const upload = useMutation(trpc.inbox.uploadEml.mutationOptions({ onSuccess: onStored }));
  const [file, setFile] = useState<File | null>(null);
  const [problem, setProblem] = useState<string | null>(null);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setProblem(null);
    // A refusal of an earlier attempt must not stay on screen under this one's message.
    upload.reset();
    if (!file) return setProblem('Choose an .eml file first.');
    if (file.size === 0) return setProblem('The chosen file is empty: choose the saved email itself.');
    if (file.size > CLIENT_MAX_BYTES) return setProblem(`The file is ${Math.round(file.size / 1024)} KiB; that is too large for a report.`);
    upload.mutate({ filename: file.name, contentBase64: toBase64(await file.arrayBuffer()) });
  };

  return (
    <form className="panel" onSubmit={(e) => void submit(e)} data-testid="eml-upload">
      <h2>Upload a reported mail</h2>
      <label>
        .eml file{' '}
        <input type="file" accept=".eml,message/rfc822" onChange={(e) => setFile(e.target.files?.[0] ?? null)} data-testid="eml-file" />
      </label>
      <div>
        <button type="submit" disabled={upload.isPending} data-testid="eml-submit">
          Store and process
        </button>
      </div>
      {problem && <p role="alert" className="field-error">{problem}</p>}
      {upload.isSuccess && (
        <p className="ok" data-testid="eml-stored">
          {upload.data.duplicate
            ? `This mail was stored before (report ${upload.data.reportId.slice(0, 8)}, now sent ${upload.data.submissionCount}×).`
            : `Stored as report ${upload.data.reportId.slice(0, 8)}; it is being processed.`}
        </p>
      )}
      <FormError error={upload.error} testId="eml-error" />
    </form>
  );
}
