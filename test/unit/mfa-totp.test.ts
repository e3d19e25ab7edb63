// TOTP checks at fixed times: the ±1-step window, replay refusal by time step, code normalisation, and the enrolment
// URI and QR code. Codes are made with otplib itself, as an authenticator app would make them.
import { generate } from 'otplib';
import { describe, expect, it } from 'vitest';
import { checkTotp, newTotpEnrolment, TOTP_PERIOD_SECONDS, totpStepAt } from '../../lib/mfa/totp';

// 20 bytes in base32, the size authenticator apps are given.
const SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const OTHER_SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
// 10 seconds into a time step.
const T = new Date('2026-03-01T12:00:10Z');
const at = (offsetSeconds: number) => new Date(T.getTime() + offsetSeconds * 1000);
const codeAt = (when: Date, secret = SECRET) => generate({ secret, epoch: Math.floor(when.getTime() / 1000) });

describe('checkTotp', () => {
  it('accepts the current code and gives its time step', async () => {
    const code = await codeAt(T);
    await expect(checkTotp(SECRET, code, { now: T, lastStep: null })).resolves.toEqual({ ok: true, step: totpStepAt(T) });
    expect(totpStepAt(T)).toBe(Math.floor(T.getTime() / 1000 / TOTP_PERIOD_SECONDS));
  });

  it('accepts a code one step early or late, and refuses two steps away', async () => {
    const code = await codeAt(T);
    const step = totpStepAt(T);
    // The server clock a step ahead of the phone, and a step behind.
    await expect(checkTotp(SECRET, code, { now: at(30), lastStep: null })).resolves.toEqual({ ok: true, step });
    await expect(checkTotp(SECRET, code, { now: at(-30), lastStep: null })).resolves.toEqual({ ok: true, step });
    await expect(checkTotp(SECRET, code, { now: at(60), lastStep: null })).resolves.toEqual({ ok: false, reason: 'invalid' });
    await expect(checkTotp(SECRET, code, { now: at(-60), lastStep: null })).resolves.toEqual({ ok: false, reason: 'invalid' });
    // The window is by step, not by seconds: 29 s into the step, the next step's code is still one step away.
    const next = await codeAt(at(30));
    await expect(checkTotp(SECRET, next, { now: at(19), lastStep: null })).resolves.toEqual({ ok: true, step: step + 1 });
    const afterNext = await codeAt(at(60));
    await expect(checkTotp(SECRET, afterNext, { now: at(19), lastStep: null })).resolves.toEqual({ ok: false, reason: 'invalid' });
  });

  it('refuses a code whose step was already used, or is older than the last used one', async () => {
    const step = totpStepAt(T);
    const code = await codeAt(T);
    await expect(checkTotp(SECRET, code, { now: T, lastStep: step })).resolves.toEqual({ ok: false, reason: 'replayed' });
    await expect(checkTotp(SECRET, code, { now: T, lastStep: step + 1 })).resolves.toEqual({ ok: false, reason: 'replayed' });
    await expect(checkTotp(SECRET, code, { now: T, lastStep: step - 1 })).resolves.toEqual({ ok: true, step });
    // After the current code was used, the next step's code (the app moving on) still passes.
    await expect(checkTotp(SECRET, await codeAt(at(30)), { now: T, lastStep: step })).resolves.toEqual({ ok: true, step: step + 1 });
  });

  it('refuses codes of another secret and input that is not six digits', async () => {
    const otherCode = await codeAt(T, OTHER_SECRET);
    const code = await codeAt(T);
    // One chance in a million that both secrets give the same code at T; these two do not.
    expect(otherCode).not.toBe(code);
    await expect(checkTotp(SECRET, otherCode, { now: T, lastStep: null })).resolves.toEqual({ ok: false, reason: 'invalid' });
    for (const bad of ['', '12345', '1234567', 'abcdef', `${code}0`, code.slice(1)]) {
      await expect(checkTotp(SECRET, bad, { now: T, lastStep: null })).resolves.toEqual({ ok: false, reason: 'invalid' });
    }
  });

  it('accepts the code with the space or dash some apps show in the middle', async () => {
    const code = await codeAt(T);
    for (const typed of [`${code.slice(0, 3)} ${code.slice(3)}`, `${code.slice(0, 3)}-${code.slice(3)}`, ` ${code} `]) {
      await expect(checkTotp(SECRET, typed, { now: T, lastStep: null })).resolves.toMatchObject({ ok: true });
    }
  });
});

describe('newTotpEnrolment', () => {
  it('gives a base32 secret, an otpauth URI carrying it, and the QR code as an SVG image', async () => {
    const e = await newTotpEnrolment('ana@example.com', 'Safeguard');
    expect(e.secret).toMatch(/^[A-Z2-7]{32}$/);
    const uri = new URL(e.uri);
    expect(uri.protocol).toBe('otpauth:');
    expect(uri.host).toBe('totp');
    expect(decodeURIComponent(uri.pathname)).toBe('/Safeguard:ana@example.com');
    expect(uri.searchParams.get('secret')).toBe(e.secret);
    expect(uri.searchParams.get('issuer')).toBe('Safeguard');
    const prefix = 'data:image/svg+xml;base64,';
    expect(e.qrCode.startsWith(prefix)).toBe(true);
    const svg = Buffer.from(e.qrCode.slice(prefix.length), 'base64').toString('utf8');
    expect(svg).toMatch(/^<svg[\s>]/);
    expect(svg).not.toMatch(/<script|on\w+=/i);
    // A code from the new secret passes, so what the app scans is what the server checks.
    const now = new Date();
    await expect(checkTotp(e.secret, await codeAt(now, e.secret), { now, lastStep: null })).resolves.toMatchObject({ ok: true });
    // Each enrolment gets its own secret.
    expect((await newTotpEnrolment('ana@example.com', 'Safeguard')).secret).not.toBe(e.secret);
  });
});
