'use client';
// The public report form. Checked here with the server's own schema, then sent; the answer is always "check your email".
import { useMutation } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { FormError } from '../components/form-error';
import { useTRPC } from '../../lib/trpc';
import { MAX_DESCRIPTION, publicReportInput } from '../../server/case-inputs';
import '../components/console.css';

type Field = 'email' | 'category' | 'sourceIps' | 'eventTime' | 'description';

export function ReportForm({ categories }: { categories: { value: string; label: string }[] }) {
  const trpc = useTRPC();
  const submit = useMutation(trpc.publicReport.submit.mutationOptions());
  const [values, setValues] = useState<Record<Field, string>>({ email: '', category: '', sourceIps: '', eventTime: '', description: '' });
  const [errors, setErrors] = useState<Partial<Record<Field, string>>>({});
  const set = (field: Field) => (e: { target: { value: string } }) => setValues((v) => ({ ...v, [field]: e.target.value }));

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    // datetime-local has no zone: it is the reporter's local time, sent as an instant.
    const eventTime = values.eventTime ? new Date(values.eventTime).toISOString() : '';
    const parsed = publicReportInput.safeParse({ ...values, eventTime });
    if (!parsed.success) {
      const next: Partial<Record<Field, string>> = {};
      for (const issue of parsed.error.issues) next[issue.path[0] as Field] ??= issue.message;
      setErrors(next);
      return;
    }
    setErrors({});
    submit.mutate({ ...values, eventTime, category: parsed.data.category });
  };

  if (submit.isSuccess) {
    return (
      <div className="notice" role="status" data-testid="report-sent">
        <h2>Check your email</h2>
        <p>
          We sent a confirmation link to <strong>{values.email}</strong>. Open it to confirm your report; until then we do not act on it.
        </p>
      </div>
    );
  }

  const error = (field: Field) =>
    errors[field] && (
      <span className="field-error" role="alert" data-testid={`report-error-${field}`}>
        {errors[field]}
      </span>
    );

  return (
    <form className="panel" onSubmit={onSubmit} noValidate data-testid="report-form">
      <label>
        Your email address
        <input type="email" value={values.email} onChange={set('email')} autoComplete="email" data-testid="report-email" />
        {error('email')}
      </label>
      <label>
        What kind of abuse
        <select value={values.category} onChange={set('category')} data-testid="report-category">
          <option value="">choose…</option>
          {categories.map((c) => (
            <option key={c.value} value={c.value}>
              {c.label}
            </option>
          ))}
        </select>
        {error('category')}
      </label>
      <label>
        Source IP address(es), separated by spaces or commas
        <input value={values.sourceIps} onChange={set('sourceIps')} placeholder="192.0.2.10, 2001:db8::1" data-testid="report-ips" />
        {error('sourceIps')}
      </label>
      <label>
        When it happened (your local time)
        <input type="datetime-local" value={values.eventTime} onChange={set('eventTime')} data-testid="report-time" />
        {error('eventTime')}
      </label>
      <label>
        What happened ({MAX_DESCRIPTION} characters at most)
        <textarea value={values.description} onChange={set('description')} maxLength={MAX_DESCRIPTION} data-testid="report-description" />
        {error('description')}
      </label>
      <div>
        <button type="submit" disabled={submit.isPending} data-testid="report-submit">
          Send report
        </button>
      </div>
      <FormError error={submit.error} testId="report-error" />
    </form>
  );
}
