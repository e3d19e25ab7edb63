// The signed-in person's own second factors: security keys, the authenticator app, recovery codes, and step-up.
// Changing factors needs a fresh step-up (adding the first one cannot); wrong codes are rate-limited per session
// and per account.
import type { AuthenticationExtensionsClientOutputs, AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';
import { z } from 'zod';
import type { StepUpMethod } from '../../../domain/access/contracts';
import { db } from '../../../lib/db';
import {
  beginTotpEnrolment,
  confirmTotpEnrolment,
  CREDENTIAL_NAME_MAX,
  disableTotp,
  mfaStatus,
  regenerateRecoveryCodes,
  registerWebAuthnCredential,
  removeWebAuthnCredential,
  stepUpMaxAgeMs,
  stepUpWithRecoveryCode,
  stepUpWithTotp,
  stepUpWithWebAuthn,
  webauthnRegistrationOptions,
  webauthnStepUpOptions,
  type MfaActor,
} from '../../../lib/mfa';
import { AttemptLimiter, clearAttempts, enforceLimits } from '../rate-limit';
import { factorEnrolmentProcedure, stepUpProcedure, withMfaErrors } from '../step-up';
import { protectedProcedure, router, secondFactorProcedure } from '../trpc';

const base64url = z.string().max(16_384).regex(/^[A-Za-z0-9_-]*$/, 'Expected base64url.');
// Passed on as the browser gave them (SimpleWebAuthn reads what it needs); only the shape is checked here.
const clientExtensionResults = z.custom<AuthenticationExtensionsClientOutputs>(
  (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
  'Expected an object.',
);
const authenticatorAttachment = z.enum(['platform', 'cross-platform']).optional();

/** What @simplewebauthn/browser's startRegistration() returns; verified in depth by @simplewebauthn/server. */
export const registrationResponseInput = z.object({
  id: base64url.min(1),
  rawId: base64url.min(1),
  response: z.object({
    clientDataJSON: base64url,
    attestationObject: base64url,
    authenticatorData: base64url.optional(),
    transports: z.array(z.string().max(32)).max(16).optional(),
    publicKeyAlgorithm: z.number().int().optional(),
    publicKey: base64url.optional(),
  }),
  authenticatorAttachment,
  clientExtensionResults,
  type: z.literal('public-key'),
}) satisfies z.ZodType<RegistrationResponseJSON>;

/** What startAuthentication() returns. */
export const authenticationResponseInput = z.object({
  id: base64url.min(1),
  rawId: base64url.min(1),
  response: z.object({
    clientDataJSON: base64url,
    authenticatorData: base64url,
    signature: base64url,
    userHandle: base64url.optional(),
  }),
  authenticatorAttachment,
  clientExtensionResults,
  type: z.literal('public-key'),
}) satisfies z.ZodType<AuthenticationResponseJSON>;

export const totpCodeInput = z
  .string()
  .trim()
  .regex(/^\d{3}[\s-]?\d{3}$/, 'Enter the 6-digit code from your authenticator app.');

export const recoveryCodeInput = z.string().trim().min(1, 'Enter one of your recovery codes.').max(64);

export const credentialNameInput = z.string().trim().min(1, 'Name the key, so you can tell your keys apart.').max(CREDENTIAL_NAME_MAX);

export const stepUpInput = z.discriminatedUnion('method', [
  z.object({ method: z.literal('totp'), code: totpCodeInput }),
  z.object({ method: z.literal('webauthn'), response: authenticationResponseInput }),
  z.object({ method: z.literal('recovery_code'), code: recoveryCodeInput }),
]) satisfies z.ZodType<{ method: StepUpMethod }>;

// Five tries per session in five minutes covers typos and clock drift; the per-account cap stops a password holder
// from spreading guesses over many sessions. Six digits with three valid codes at a time must not be guessable.
const perSession = new AttemptLimiter({ name: 'mfa:session', max: 5, windowMs: 5 * 60 * 1000, db });
const perAccount = new AttemptLimiter({ name: 'mfa:account', max: 15, windowMs: 15 * 60 * 1000, db });

/** Counts an attempt with a code or key; a success clears the session's count. */
async function limited<T>(actor: MfaActor, run: () => Promise<T>): Promise<T> {
  await enforceLimits([[perSession, actor.sessionId], [perAccount, actor.userId]], {
    tooMany: (wait) => `Too many wrong codes. Try again in ${wait} seconds.`,
    unavailable: 'Codes cannot be checked right now: the attempt limit is unavailable. Try again in a minute.',
  });
  const result = await withMfaErrors(run);
  await clearAttempts([[perSession, actor.sessionId]]);
  return result;
}

const actorOf = (user: { id: string; sessionId: string }): MfaActor => ({ userId: user.id, sessionId: user.sessionId });

export const mfaRouter = router({
  status: protectedProcedure.query(async ({ ctx }) => {
    const status = await mfaStatus(db(), actorOf(ctx.user));
    return { ...status, stepUpMaxAgeSeconds: Math.round(stepUpMaxAgeMs() / 1000) };
  }),

  totpBegin: factorEnrolmentProcedure.mutation(({ ctx }) =>
    withMfaErrors(() => beginTotpEnrolment(db(), { ...actorOf(ctx.user), email: ctx.user.email })),
  ),

  totpConfirm: factorEnrolmentProcedure
    .input(z.object({ code: totpCodeInput }))
    .mutation(({ ctx, input }) => limited(actorOf(ctx.user), () => confirmTotpEnrolment(db(), actorOf(ctx.user), input.code))),

  totpDisable: stepUpProcedure.mutation(async ({ ctx }) => {
    await withMfaErrors(() => disableTotp(db(), actorOf(ctx.user)));
    return { ok: true };
  }),

  webauthnRegistrationOptions: factorEnrolmentProcedure.mutation(({ ctx }) =>
    webauthnRegistrationOptions(db(), { ...actorOf(ctx.user), email: ctx.user.email, name: ctx.user.name }),
  ),

  webauthnRegister: factorEnrolmentProcedure
    .input(z.object({ name: credentialNameInput, response: registrationResponseInput }))
    .mutation(({ ctx, input }) => withMfaErrors(() => registerWebAuthnCredential(db(), actorOf(ctx.user), input))),

  webauthnRemove: stepUpProcedure.input(z.object({ id: z.string().min(1).max(1024) })).mutation(async ({ ctx, input }) => {
    await withMfaErrors(() => removeWebAuthnCredential(db(), actorOf(ctx.user), input.id));
    return { ok: true };
  }),

  recoveryCodesRegenerate: stepUpProcedure.mutation(async ({ ctx }) => ({
    recoveryCodes: await withMfaErrors(() => regenerateRecoveryCodes(db(), actorOf(ctx.user))),
  })),

  /** A mutation: it puts a fresh challenge on the session. Null when the user has no security key. */
  stepUpOptions: secondFactorProcedure.mutation(({ ctx }) => webauthnStepUpOptions(db(), actorOf(ctx.user))),

  stepUp: secondFactorProcedure.input(stepUpInput).mutation(async ({ ctx, input }) => {
    const actor = actorOf(ctx.user);
    const proof = await limited(actor, () => {
      switch (input.method) {
        case 'totp':
          return stepUpWithTotp(db(), actor, input.code);
        case 'recovery_code':
          return stepUpWithRecoveryCode(db(), actor, input.code);
        case 'webauthn':
          return stepUpWithWebAuthn(db(), actor, input.response);
      }
    });
    return { ...proof, freshUntil: new Date(Date.parse(proof.at) + stepUpMaxAgeMs()).toISOString() };
  }),
});
