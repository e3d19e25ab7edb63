// The case console's pure parts: which actions a role may take in which state, the input schemas the forms share
// with the procedures, the countdown's wording, and the web form's documents as the intake parser reads them.
import { WorkflowNotFoundError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { CASE_CATEGORIES, type CaseState } from '../../domain/cases';
import { parseReport } from '../../domain/reports/detect';
import { ROLES } from '../../domain/roles';
import { formatTimeLeft, urgency } from '../../web/app/components/time-left';
import { allowedCaseActions, caseActionRefusal, CASE_STATES, type CaseActionFacts } from '../../web/server/case-actions';
import { assignInput, caseListInput, publicReportInput, triageInput, uploadEmlInput } from '../../web/server/case-inputs';
import { rawAsText } from '../../web/server/routers/inbox';
import { webFormDocuments } from '../../web/server/routers/public-report';
import { trpcErrorFromTemporal, withTemporalErrors } from '../../web/server/temporal-errors';

const facts = (state: CaseState, more: Partial<CaseActionFacts> = {}): CaseActionFacts => ({ state, extensionStatus: null, remediation: null, ...more });
const CASE_ID = '6f1c2a6e-8d2b-4c1e-9a57-3a4b5c6d7e8f';

describe('allowed case actions', () => {
  it('offers triage only while the case waits for it', () => {
    for (const state of CASE_STATES) {
      expect(allowedCaseActions('analyst', facts(state)).triage, state).toBe(state === 'triage');
    }
  });

  it('offers an extension decision only for a waiting request on a case that is not suspended', () => {
    expect(allowedCaseActions('analyst', facts('notified', { extensionStatus: 'requested' })).decideExtension).toBe(true);
    expect(allowedCaseActions('analyst', facts('remediation_submitted', { extensionStatus: 'requested' })).decideExtension).toBe(true);
    expect(allowedCaseActions('analyst', facts('notified', { extensionStatus: 'granted' })).decideExtension).toBe(false);
    expect(allowedCaseActions('analyst', facts('notified')).decideExtension).toBe(false);
    expect(caseActionRefusal('decideExtension', 'analyst', facts('suspended', { extensionStatus: 'requested' }))).toMatch(/already suspended/);
  });

  it('offers verification once the tenant described a remediation, suspended or not', () => {
    expect(allowedCaseActions('analyst', facts('remediation_submitted', { remediation: 'patched' })).verifyRemediation).toBe(true);
    expect(allowedCaseActions('analyst', facts('suspended', { remediation: 'patched' })).verifyRemediation).toBe(true);
    expect(allowedCaseActions('analyst', facts('notified')).verifyRemediation).toBe(false);
    expect(caseActionRefusal('verifyRemediation', 'analyst', facts('notified'))).toBe('The tenant has not described a remediation to verify.');
  });

  it('offers nothing on a closed or rejected case, and says why', () => {
    for (const state of ['closed', 'rejected'] as const) {
      const all = facts(state, { extensionStatus: 'requested', remediation: 'patched' });
      expect(allowedCaseActions('admin', all)).toEqual({ triage: false, decideExtension: false, verifyRemediation: false });
      expect(caseActionRefusal('triage', 'admin', all)).toBe(`This case is ${state}; no further action is possible.`);
    }
  });

  it('lets every staff role act on cases (the analyst is the weakest role that may)', () => {
    for (const role of ROLES) expect(allowedCaseActions(role, facts('triage')).triage).toBe(true);
  });
});

describe('input schemas', () => {
  it('defaults the queue to open cases, first page', () => {
    expect(caseListInput.parse(undefined)).toEqual({ state: 'open', page: 0, pageSize: 25 });
    expect(caseListInput.parse({ state: 'suspended', category: 'phishing' })).toMatchObject({ state: 'suspended', category: 'phishing' });
    expect(caseListInput.safeParse({ state: 'lost' }).success).toBe(false);
    expect(caseListInput.safeParse({ tenantId: 'not-a-uuid' }).success).toBe(false);
    expect(caseListInput.safeParse({ pageSize: 1000 }).success).toBe(false);
  });

  it('needs a severity to accept, a reason to reject and a case id to merge into', () => {
    expect(triageInput.parse({ caseId: CASE_ID, decision: { action: 'accept', severity: 'high' } }).decision).toEqual({ action: 'accept', severity: 'high' });
    const noSeverity = triageInput.safeParse({ caseId: CASE_ID, decision: { action: 'accept', severity: 'extreme' } });
    expect(noSeverity.error?.issues[0]?.message).toBe('Choose a severity.');
    const blank = triageInput.safeParse({ caseId: CASE_ID, decision: { action: 'reject', reason: '   ', notifyReporter: true } });
    expect(blank.error?.issues[0]?.message).toBe('Give a reason for the rejection.');
    const merge = triageInput.safeParse({ caseId: CASE_ID, decision: { action: 'merge', intoCaseId: 'case:abc:spam' } });
    expect(merge.error?.issues[0]?.message).toBe('Enter the id of the case to merge into.');
    expect(triageInput.safeParse({ caseId: CASE_ID, decision: { action: 'escalate' } }).success).toBe(false);
  });

  it('checks a manual assignment and an upload', () => {
    expect(assignInput.safeParse({ reportId: CASE_ID, deploymentId: CASE_ID, note: '' }).error?.issues[0]?.message).toBe(
      'Say why this report belongs to that deployment.',
    );
    expect(uploadEmlInput.safeParse({ filename: 'report.pdf', contentBase64: 'AAAA' }).error?.issues[0]?.message).toBe('The file must be a saved email: its name should end in .eml (or .msg, .txt).');
    expect(uploadEmlInput.safeParse({ filename: 'report.eml', contentBase64: '<html>' }).success).toBe(false);
  });

  it('splits and checks the source addresses of the public form', () => {
    const base = { email: 'me@example.org', category: 'phishing', eventTime: '2026-11-28T10:00:00.000Z', description: 'A phishing page for a bank.' };
    expect(publicReportInput.parse({ ...base, sourceIps: ' 192.0.2.10, 2001:db8::1;192.0.2.10 ' }).sourceIps).toEqual(['192.0.2.10', '2001:db8::1']);
    expect(publicReportInput.safeParse({ ...base, sourceIps: '192.0.2.300' }).success).toBe(false);
    expect(publicReportInput.safeParse({ ...base, sourceIps: '' }).error?.issues[0]?.message).toBe('Enter at least one source IP address.');
    expect(publicReportInput.safeParse({ ...base, sourceIps: '192.0.2.1', email: 'nope' }).success).toBe(false);
    expect(publicReportInput.safeParse({ ...base, sourceIps: '192.0.2.1', eventTime: 'yesterday' }).success).toBe(false);
  });
});

describe('time left', () => {
  it('reads as a person would say it, and says when it has passed', () => {
    expect(formatTimeLeft(47 * 3600_000 + 59 * 60_000 + 5_000)).toBe('1 d 23 h 59 min 05 s');
    expect(formatTimeLeft(3 * 3600_000 + 7_000)).toBe('3 h 00 min 07 s');
    expect(formatTimeLeft(65_000)).toBe('1 min 05 s');
    expect(formatTimeLeft(-125_000)).toBe('overdue by 2 min 05 s');
    expect([urgency(-1), urgency(3600_000), urgency(5 * 3600_000), urgency(30 * 3600_000)]).toEqual(['overdue', 'urgent', 'soon', 'later']);
  });
});

describe('web form documents', () => {
  it('become one X-ARF v4 report per address that the intake parser reads back with the chosen category', async () => {
    for (const category of CASE_CATEGORIES) {
      const form = publicReportInput.parse({
        email: 'reporter@example.org',
        category,
        sourceIps: '198.51.100.7 2001:db8:200::5',
        eventTime: '2026-11-28T10:00:00+01:00',
        description: 'Seen from our honeypot <img src=x onerror=alert(1)>',
      });
      const docs = webFormDocuments(form);
      expect(docs).toHaveLength(2);
      const outcome = await parseReport(new TextEncoder().encode(docs[0]), { contentType: 'application/json' });
      if (!outcome.ok) throw new Error(`${category}: ${outcome.error}`);
      expect(outcome.report.category, category).toBe(category);
      expect(outcome.report.sourceIps.map((ip) => ip.address)).toEqual(['198.51.100.7']);
      expect(outcome.report.eventTime?.toISOString()).toBe('2026-11-28T09:00:00.000Z');
      // The same submission makes the same bytes, so a resubmission is counted, not stored again.
      expect(webFormDocuments(form)).toEqual(docs);
    }
  });
});

describe('raw view', () => {
  it('caps the text and shows invalid bytes as replacement characters', () => {
    const raw = new Uint8Array([0x3c, 0x62, 0x3e, 0xff, 0x41, 0x42]);
    expect(rawAsText(raw, 5)).toEqual({ text: '<b>\ufffdA', truncated: true, sizeBytes: 6 });
    expect(rawAsText(raw).truncated).toBe(false);
  });
});

describe('Temporal errors with the wording of the procedure', () => {
  it('turns a refused update into a sentence, a finished workflow into NOT_FOUND, a silent worker into a timeout', async () => {
    const refused = trpcErrorFromTemporal(new WorkflowUpdateFailedError('Workflow Update failed', ApplicationFailure.create({ message: 'the case is closed, not waiting for triage' })));
    expect(refused).toMatchObject({ code: 'BAD_REQUEST', message: 'The case is closed, not waiting for triage.' });
    const gone = new WorkflowNotFoundError('workflow execution already completed', 'case:x:spam', undefined);
    expect(trpcErrorFromTemporal(gone, { notFound: 'This case is closed.' })).toMatchObject({ code: 'NOT_FOUND', message: 'This case is closed.' });
    expect(trpcErrorFromTemporal(new WorkflowUpdateRPCTimeoutOrCancelledError('deadline exceeded'))).toMatchObject({ code: 'GATEWAY_TIMEOUT' });
    expect(trpcErrorFromTemporal(new Error('something else'))).toBeNull();
    await expect(withTemporalErrors(() => Promise.reject(gone))).rejects.toMatchObject({ code: 'NOT_FOUND', message: 'That process is not running any more.' });
    await expect(withTemporalErrors(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
  });
});
