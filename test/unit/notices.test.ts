// Notices are pure: attacker text is escaped in HTML, the deadline appears in UTC and the tenant's zone.
import { describe, expect, it } from 'vitest';
import { describeDuration, escapeHtml, formatDeadline, reporterNotice, tenantNotice, type TenantNoticeInput } from '../../domain/notices';

const HOSTILE = `<script>alert(1)</script> "><img src=x onerror=alert(2)> & 'quoted'`;

const base: TenantNoticeInput = {
  reference: 'abcd1234',
  category: 'phishing',
  severity: 'high',
  tenantName: 'Acme <Labs>',
  deploymentName: 'web"prod',
  timeZone: 'Europe/Berlin',
  deadlineAt: new Date('2026-12-01T14:00:00Z'),
  evidence: [{ receivedAt: new Date('2026-11-29T10:00:00Z'), summary: HOSTILE, sourceIps: ['192.0.2.10'], reportedUrls: ['http://x.example/"><b>'], channel: 'api' }],
  evidenceCount: 1,
  linkUrl: 'https://console.example/t/abc"def',
};

describe('tenant notices', () => {
  it('puts a hostile summary into the text body as it is and into the HTML body only escaped', () => {
    const email = tenantNotice('notice', base);
    expect(email.text).toContain(HOSTILE);
    expect(email.html).not.toMatch(/<script|<img|<b>|onerror=alert\(2\)>/);
    expect(email.html).toContain('&#60;script&#62;alert(1)&#60;/script&#62;');
    expect(email.html).toContain('&#34;&#62;&#60;img src=x onerror=alert(2)&#62;');
    expect(email.html).toContain('href="https://console.example/t/abc&#34;def"');
    expect(email.html).toContain('deployment &#34;web&#34;prod&#34;');
  });

  it('shows the deadline in UTC and in the tenant zone, with the link', () => {
    const email = tenantNotice('notice', base);
    expect(email.text).toContain('2026-12-01 14:00 UTC');
    expect(email.text).toMatch(/Tuesday 1 December 2026 at 15:00:00 CET \(Europe\/Berlin\)|Tuesday, 1 December 2026 at 15:00:00 CET \(Europe\/Berlin\)/);
    expect(email.text).toContain('https://console.example/t/abc"def');
    expect(email.subject).toContain('Abuse notice: phishing');
  });

  it('falls back to UTC for an unknown time zone instead of failing', () => {
    expect(formatDeadline(new Date('2026-12-01T14:00:00Z'), 'Mars/Olympus')).toMatchObject({ utc: '2026-12-01 14:00 UTC', zone: 'UTC' });
    expect(formatDeadline(new Date('2026-12-01T14:00:00Z'), 'Asia/Tokyo').local).toContain('23:00');
  });

  it('has a text for every step of the case', () => {
    for (const kind of ['reminder', 'suspended', 'restored', 'closed', 'remediation_submitted', 'remediation_refused', 'extension_requested', 'extension_granted', 'extension_refused'] as const) {
      const email = tenantNotice(kind, { ...base, timeLeft: '4 hours', note: '<i>note</i>' });
      expect(email.subject, kind).toMatch(/^\[Safeguard abcd1234\] /);
      expect(email.html, kind).not.toContain('<script');
      expect(email.html, kind).not.toContain('<i>');
    }
    expect(tenantNotice('reminder', { ...base, timeLeft: '4 hours' }).subject).toContain('4 hours left');
  });

  it('tells reporters neither the tenant nor the action, and says when nothing was done', () => {
    const ack = reporterNotice('reporter_ack', { reportReference: 'r1', receivedAt: new Date('2026-11-29T10:00:00Z'), category: 'spam' });
    const done = reporterNotice('reporter_outcome', { reportReference: 'r1', receivedAt: new Date(), category: 'spam', actioned: true });
    const none = reporterNotice('reporter_outcome', { reportReference: 'r1', receivedAt: new Date(), category: 'spam', actioned: false });
    expect(ack.text).toContain('2026-11-29 10:00 UTC');
    expect(done.text).toContain('handled and closed');
    expect(none.text).toContain('without further action');
    for (const e of [ack, done, none]) expect(e.text).not.toMatch(/Acme|deployment|suspend/i);
  });

  it('escapes every HTML-significant character and words durations', () => {
    expect(escapeHtml(`<>&"'\``)).toBe('&#60;&#62;&#38;&#34;&#39;&#96;');
    expect(describeDuration(4 * 3600_000)).toBe('4 hours');
    expect(describeDuration(24 * 3600_000 + 60_000)).toBe('24 hours 1 minute');
    expect(describeDuration(2_000)).toBe('2 seconds');
  });
});
