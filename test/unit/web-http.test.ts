import { describe, expect, it } from 'vitest';
import { roleAllows } from '../../domain/roles';
import { safeNextPath, signInPath } from '../../web/lib/paths';
import { clientIp, csrfRejection, parseCookies } from '../../web/server/http';
import { sessionCookie } from '../../lib/session';

const req = (method: string, headers: Record<string, string>) => ({ method, url: 'http://console.test/api/trpc/x', headers: new Headers(headers) });

describe('csrfRejection', () => {
  const json = { 'content-type': 'application/json', host: 'console.test' };
  it('lets reads through', () => expect(csrfRejection(req('GET', {}), [])).toBeNull());
  it('accepts a same-origin JSON POST', () => expect(csrfRejection(req('POST', { ...json, origin: 'http://console.test' }), [])).toBeNull());
  it('accepts the configured public origin behind a proxy', () =>
    expect(csrfRejection(req('POST', { ...json, origin: 'https://safeguard.example' }), ['https://safeguard.example'])).toBeNull());
  it('refuses another origin', () =>
    expect(csrfRejection(req('POST', { ...json, origin: 'https://evil.example' }), [])).toMatch(/Cross-origin request from https:\/\/evil.example/));
  it('refuses a form post (no preflight needed for it cross-site)', () =>
    expect(csrfRejection(req('POST', { 'content-type': 'application/x-www-form-urlencoded', host: 'console.test' }), [])).toMatch(/application\/json/));
});

describe('cookies', () => {
  it('parses the first value of each cookie and decodes it', () =>
    expect(parseCookies('a=1; sg_session=abc%3D; a=2; junk')).toEqual({ a: '1', sg_session: 'abc=' }));
  it('sets the session cookie httpOnly and SameSite=Strict, Secure only over https', () => {
    expect(sessionCookie('t', { secure: false, maxAgeSeconds: 60 })).toBe('sg_session=t; Path=/; HttpOnly; SameSite=Strict; Max-Age=60');
    expect(sessionCookie('t', { secure: true, maxAgeSeconds: 60 })).toMatch(/; Secure$/);
  });
});

describe('clientIp', () => {
  it('takes the hop nearest the console, not what the client wrote first', () => {
    expect(clientIp(new Headers({ 'x-forwarded-for': '6.6.6.6, 203.0.113.7' }))).toBe('203.0.113.7');
    expect(clientIp(new Headers({ 'x-forwarded-for': '203.0.113.7' }))).toBe('203.0.113.7');
    expect(clientIp(new Headers({ 'x-real-ip': '198.51.100.1' }))).toBe('198.51.100.1');
    expect(clientIp(new Headers())).toBeUndefined();
  });
});

describe('safeNextPath', () => {
  it('keeps a path on this console with its query', () => {
    expect(safeNextPath('/status')).toBe('/status');
    expect(safeNextPath('/mailbox?id=x#top')).toBe('/mailbox?id=x#top');
  });
  it.each([undefined, ['/a', '/b'], '', 'status', 'https://evil.example/', '//evil.example', '/\\evil.example', '/\tevil', 'javascript:alert(1)', '/.//evil.example', '/%2e//evil.example', '/signin'])(
    'sends %j home instead',
    (next) => expect(safeNextPath(next)).toBe('/'),
  );
  it('builds the sign-in link that comes back', () => {
    expect(signInPath('/status')).toBe('/signin?next=%2Fstatus');
    expect(signInPath()).toBe('/signin');
    expect(signInPath('//evil.example')).toBe('/signin');
  });
});

describe('roles', () => {
  it('orders admin above approver above analyst', () => {
    expect(roleAllows('admin', 'approver')).toBe(true);
    expect(roleAllows('approver', 'analyst')).toBe(true);
    expect(roleAllows('analyst', 'approver')).toBe(false);
    expect(roleAllows('approver', 'admin')).toBe(false);
  });
});
