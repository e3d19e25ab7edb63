// Second factors for staff: security keys (WebAuthn) first, an authenticator app (TOTP) as fallback, recovery codes,
// and the step-up check that sensitive actions require.
export * from './recovery-codes';
export * from './step-up';
export * from './totp';
export * from './webauthn';
