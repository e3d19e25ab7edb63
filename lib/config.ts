// Every environment variable Safeguard reads is declared and validated here; nothing else reads process.env.
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { parseCasePolicyTable, policyDurationSchema } from '../domain/case-policy';
import { parseAccessPolicy } from '../domain/access/policy';
import { DEFAULT_TASK_QUEUE } from '../domain/contracts';

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const port = (fallback: number) => z.coerce.number().int().min(1).max(65535).default(fallback);

/** 32 random bytes as 64 hex digits or base64: SECRETS_KEY, and the key file written when it is unset. */
export const secretsKeySchema = z
  .string()
  .trim()
  .transform((v, ctx) => {
    const bytes = /^[0-9a-f]{64}$/i.test(v) ? Buffer.from(v, 'hex') : /^[A-Za-z0-9+/_-]+={0,2}$/.test(v) ? Buffer.from(v, 'base64') : undefined;
    if (bytes?.length === 32) return bytes;
    // The value itself stays out of the message: it is meant to be a secret.
    ctx.addIssue({ code: 'custom', message: 'must be 32 bytes as 64 hex digits or base64 (make one with `openssl rand -base64 32`)' });
    return z.NEVER;
  });

/**
 * Earlier secrets keys, comma-separated, each as SECRETS_KEY is written. Each is checked on its own so the message
 * says which one is wrong (by position: the values are secrets).
 */
const previousSecretsKeysSchema = optionalString.transform((v, ctx) => {
  if (v === undefined) return [];
  const parts = v.split(',').map((p) => p.trim());
  const keys: Buffer[] = [];
  parts.forEach((part, i) => {
    const which = parts.length === 1 ? 'the key' : `key ${i + 1} of ${parts.length}`;
    if (part === '') {
      ctx.addIssue({ code: 'custom', message: `${which} is empty (keys are separated by single commas)` });
      return;
    }
    const parsed = secretsKeySchema.safeParse(part);
    if (parsed.success) keys.push(parsed.data);
    else ctx.addIssue({ code: 'custom', message: `${which} ${parsed.error.issues[0]?.message ?? 'is not a secrets key'}` });
  });
  return keys;
});

const schema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** auto: readable lines in a terminal, JSON otherwise. */
  LOG_FORMAT: z.enum(['auto', 'pretty', 'json']).default('auto'),
  /** Where the embedded services keep their files (Temporal SQLite, PGlite, mail). */
  SAFEGUARD_DATA_DIR: z.string().default(path.resolve(process.cwd(), 'data')),
  /** PostgreSQL for the application. Unset: the start command runs an embedded PostgreSQL (PGlite). */
  DATABASE_URL: optionalString.pipe(z.url().optional()),
  /** A PostgreSQL server where tests create (and drop) a fresh database each; the role must be allowed to create databases. */
  TEST_DATABASE_URL: z.url().default('postgresql://postgres@127.0.0.1:5432/postgres'),
  /** host:port of a Temporal frontend. Unset: the start command runs `temporal server start-dev`. */
  TEMPORAL_ADDRESS: optionalString,
  TEMPORAL_NAMESPACE: z.string().default('default'),
  /** An explicit `temporal` CLI binary for the embedded dev server (else PATH, else the cache, else built with Go). */
  TEMPORAL_CLI_PATH: optionalString,
  /** Where built tools are cached between clones (the Temporal CLI). */
  SAFEGUARD_CACHE_DIR: z
    .string()
    .default(path.join(process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'safeguard')),
  TEMPORAL_TASK_QUEUE: z.string().default(DEFAULT_TASK_QUEUE),
  /** Temporal Cloud or any API-key-authenticated frontend; implies TLS. */
  TEMPORAL_API_KEY: optionalString,
  /** mTLS client certificate and key (PEM files) for a self-hosted cluster that requires them. */
  TEMPORAL_TLS_CERT_PATH: optionalString,
  TEMPORAL_TLS_KEY_PATH: optionalString,
  /** Base URL of the Temporal UI, used for links from the console to workflows. */
  TEMPORAL_UI_URL: z.url().default('http://localhost:8233'),
  /** A workflow bundle built ahead (bundleWorkflowCode): the worker starts without bundling. Unset: bundled at start. */
  WORKFLOW_BUNDLE_PATH: optionalString,
  /** SMTP server for outgoing mail. Unset: the embedded mail catcher. */
  SMTP_URL: optionalString.pipe(z.url().optional()),
  /** HTTP API of the mail catcher (Mailpit-compatible); the console's mailbox page and the tests read it. */
  MAILBOX_URL: optionalString.pipe(z.url().optional()),
  MAIL_FROM: z.string().default('Safeguard Abuse Desk <abuse@safeguard.localhost>'),
  CONSOLE_PORT: port(3000),
  /** Ports of the services `npm start` runs itself (only when the matching *_URL / TEMPORAL_ADDRESS is unset). */
  EMBEDDED_POSTGRES_PORT: port(5433),
  EMBEDDED_SMTP_PORT: port(1025),
  EMBEDDED_MAILBOX_PORT: port(8025),
  EMBEDDED_TEMPORAL_PORT: port(7233),
  EMBEDDED_TEMPORAL_UI_PORT: port(8233),
  /** The console's address as users reach it; links in emails point here. */
  PUBLIC_URL: z.url().default('http://localhost:3000'),
  /** Published X-ARF v4 JSON Schemas (the folder with xarf-v4-master.json and types/). Unset: our own zod schemas only. */
  XARF_SCHEMA_DIR: optionalString,
  /** Published X-ARF 0.2 schemata (x-arf.org draft-02 .json files). Unset: our own zod schemas only. */
  XARF_V02_SCHEMA_DIR: optionalString,
  /** Largest report accepted by POST /api/reports and the SMTP intake (bytes); larger ones get 413 / SMTP 552. */
  REPORT_MAX_BYTES: z.coerce.number().int().min(1024).default(1024 * 1024),
  /** Port of the SMTP intake listener that turns mailed abuse reports into cases (intake/smtp.ts). */
  INTAKE_SMTP_PORT: port(2525),
  /** The local store of demo artifacts the forensic provider reads (a cloud adapter replaces it). */
  FORENSIC_ARTIFACT_DIR: z.string().default(path.resolve(process.cwd(), 'forensics', 'demo-artifacts')),
  /** Limit on how fast artifacts are read from a tenant's systems (bytes/s); unset: as fast as the provider gives. */
  FORENSIC_COLLECTION_BYTES_PER_SECOND: z.coerce.number().int().positive().optional(),
  /** UDP port of the NetFlow v5/v9 and IPFIX collector (the detector process); 0 turns it off. */
  FLOW_UDP_PORT: z.coerce.number().int().min(0).max(65535).default(2055),
  /** JSON file of detection threshold overrides per tenant and host group (docs/detection.md); unset: defaults. */
  DETECTION_THRESHOLDS: optionalString,
  /** NATS servers (comma-separated) for the scale-out pipeline (docs/scale-out.md); unset: one in-process pipeline. */
  FLOWS_NATS_URL: optionalString,
  /** collector: UDP → JetStream; detector: JetStream → detectors; all: both in this process. */
  FLOWS_ROLE: z.enum(['collector', 'detector', 'all']).default('all'),
  FLOWS_STREAM: z.string().default('SAFEGUARD_FLOWS'),
  FLOWS_PARTITIONS: z.coerce.number().int().min(1).max(1024).default(16),
  FLOWS_DURABLE: z.string().default('safeguard-detector'),
  /** This detector's place among DETECTOR_COUNT detectors: it owns every DETECTOR_COUNT-th partition. */
  DETECTOR_INDEX: z.coerce.number().int().min(0).default(0),
  DETECTOR_COUNT: z.coerce.number().int().min(1).default(1),
  /** Name of this detector process in the flow statistics; defaults to host:pid. */
  DETECTOR_NAME: optionalString,
  /** Access policy overrides as JSON (domain/access/policy.ts): rules (N-of-M approvers, tenant consent, longest grant), approvalWindow, infraScopes. */
  ACCESS_POLICY: optionalString.transform((v, ctx) => {
    if (v === undefined) return undefined;
    try {
      return parseAccessPolicy(v);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  }),
  /**
   * Seals secrets kept in the database (authenticator-app secrets); lib/secret-box.ts. Unset: a key file made once in
   * SAFEGUARD_DATA_DIR, except in production, where sealing or opening a secret is refused until it is set.
   */
  SECRETS_KEY: optionalString.pipe(secretsKeySchema.optional()),
  /**
   * Keys SECRETS_KEY replaced (comma-separated, same form), used only to open what they sealed; nothing is sealed with
   * them. A value opened with one is sealed again with SECRETS_KEY on its next use, or by `safeguard secrets reseal`.
   */
  SECRETS_KEY_PREVIOUS: previousSecretsKeysSchema,
  /** How recent a second-factor check must be for requesting or approving access (step-up). */
  STEP_UP_MAX_AGE: policyDurationSchema.default('5 minutes'),
  /** WebAuthn relying party: its ID defaults to PUBLIC_URL's host name, the expected origin to PUBLIC_URL's origin. */
  WEBAUTHN_RP_ID: optionalString,
  WEBAUTHN_RP_NAME: z.string().default('Safeguard'),
  /** Case policy overrides as JSON (domain/case-policy.ts), e.g. {"categories":{"spam":{"remediationWindow":"72 hours"}}}. */
  CASE_POLICY: optionalString.transform((v, ctx) => {
    if (v === undefined) return undefined;
    try {
      return parseCasePolicyTable(v);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  }),
});

export type Config = z.infer<typeof schema>;

let cached: Config | undefined;

/** Parses the environment once; a bad value stops the process with a readable message. */
export function config(): Config {
  if (!cached) {
    const parsed = schema.safeParse(process.env);
    if (!parsed.success) {
      const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
      throw new Error(`Invalid environment:\n${lines.join('\n')}`);
    }
    cached = parsed.data;
  }
  return cached;
}

/** For tests that change the environment between cases. */
export function resetConfigForTests(): void {
  cached = undefined;
}

/** Returns a value the start command must have provided, with a message naming the variable. */
export function required<K extends keyof Config>(key: K): NonNullable<Config[K]> {
  const value = config()[key];
  if (value === undefined || value === null) {
    throw new Error(`${String(key)} is not set (the start command sets it when it runs the embedded service)`);
  }
  return value as NonNullable<Config[K]>;
}
