// Secrets the database has to keep but that nobody reading it may learn (authenticator-app secrets), sealed with
// AES-256-GCM under SECRETS_KEY. Every value gets its own random IV, and the record it belongs to (purpose and
// subject) is authenticated with it, so a value copied into another user's row does not open. The text names the
// format version and the key's id: after a rotation, keys in SECRETS_KEY_PREVIOUS still open what they sealed, and a
// value opened with one (or stored in plaintext before sealing began) is sealed again with SECRETS_KEY when it is next
// used, or by `safeguard secrets reseal`.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { config, secretsKeySchema, type Config } from './config';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Any version: a value from a newer format is refused as unknown instead of being taken for plaintext. */
const SEALED_PREFIX = /^v\d+:/;

/** Where the key is kept when SECRETS_KEY is unset (outside production). */
export const KEY_FILE_NAME = 'secrets.key';

/** What a sealed value belongs to; it opens only for the same purpose and subject. */
export interface SealContext {
  purpose: string;
  subject: string;
}

export interface SecretKey {
  /** A fingerprint that names the key in sealed values without revealing it. */
  readonly id: string;
  readonly key: crypto.KeyObject;
}

/** The key that seals and the earlier keys that only open what they sealed. */
export interface SecretKeyring {
  /** SECRETS_KEY, else (outside production) the key file. */
  readonly current: SecretKey;
  /** SECRETS_KEY_PREVIOUS, without the current key if it is listed there too. */
  readonly previous: readonly SecretKey[];
}

/** Every key that opens: the current one first. */
export const openingKeys = (ring: SecretKeyring): SecretKey[] => [ring.current, ...ring.previous];

/** A sealed value that cannot be opened (another key, altered, another record's), or no key to seal with. */
export class SecretBoxError extends Error {
  override name = 'SecretBoxError';
}

/** A key from its 32 bytes, with the id sealed values name it by. */
export function secretKey(material: Buffer): SecretKey {
  if (material.length !== 32) throw new Error('A secrets key is 32 bytes.');
  const id = crypto.createHash('sha256').update('safeguard secret-box key id\0').update(material).digest().subarray(0, 6).toString('base64url');
  return { id, key: crypto.createSecretKey(material) };
}

/** True for a value in the sealed format (of any version); anything else was stored before sealing began. */
export const isSealed = (value: string) => SEALED_PREFIX.test(value);

/** The id of the key a value in this version's format names; undefined for plaintext or another format. */
export function sealedKeyId(value: string): string | undefined {
  const parts = value.split(':');
  return parts.length === 5 && parts[0] === VERSION && parts[1] ? parts[1] : undefined;
}

// The version and key id are authenticated too, so no part of the text can be swapped without the open failing.
const additionalData = (keyId: string, { purpose, subject }: SealContext) => Buffer.from([VERSION, keyId, purpose, subject].join('\0'), 'utf8');

/** The bytes of one part, only from its canonical base64url text: a part that was altered as text is not accepted. */
function decodePart(text: string | undefined): Buffer | undefined {
  if (text === undefined) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  return bytes.toString('base64url') === text ? bytes : undefined;
}

const cannotOpen = ({ purpose, subject }: SealContext, why: string) => new SecretBoxError(`Cannot open the sealed ${purpose} of ${subject}: ${why}`);

/** Seals `plaintext` for `context` as `v1:<keyId>:<iv>:<ciphertext>:<tag>` (base64url). */
export function sealSecret(plaintext: string, context: SealContext, key: SecretKey = currentSecretKey()): string {
  const iv = crypto.randomBytes(IV_BYTES);
  const cipher = crypto.createCipheriv('aes-256-gcm', key.key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(additionalData(key.id, context));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [VERSION, key.id, ...[iv, ciphertext, cipher.getAuthTag()].map((b) => b.toString('base64url'))].join(':');
}

/** Opens a value sealed for `context` with one of `keys`; a SecretBoxError says why it does not open. */
export function openSecret(sealed: string, context: SealContext, keys: readonly SecretKey[] = openingKeys(secretKeyring())): string {
  const parts = sealed.split(':');
  const [version, keyId] = parts;
  const [iv, ciphertext, tag] = parts.slice(2).map(decodePart);
  if (parts.length !== 5 || version !== VERSION || !iv || !ciphertext || !tag) {
    throw cannotOpen(context, `it is not in a format this version reads (${VERSION}).`);
  }
  const key = keys.find((k) => k.id === keyId);
  if (!key) {
    const inUse = keys.length === 1 ? `the key in use is ${keys[0]?.id}` : `the keys in use are ${keys.map((k) => k.id).join(', ')}`;
    throw cannotOpen(context, `it was sealed with key ${keyId}, but ${inUse} (SECRETS_KEY, or the key file, is not the one it was sealed with, nor is any key in SECRETS_KEY_PREVIOUS).`);
  }
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw cannotOpen(context, 'it is truncated.');
  const decipher = crypto.createDecipheriv('aes-256-gcm', key.key, iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(additionalData(key.id, context));
  decipher.setAuthTag(tag);
  try {
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
  } catch {
    throw cannotOpen(context, `it does not authenticate with key ${key.id} (altered, or copied from another record).`);
  }
}

/** What a stored value turned out to be when it was opened for use. */
export type OpenedFrom = 'plaintext' | 'current' | 'previous';

export interface OpenedSecret {
  plaintext: string;
  from: OpenedFrom;
  /**
   * The value sealed with the current key, to store in its place once its use passed; null when it is sealed with the
   * current key already. Sealed on call: a use that fails needs no key to seal with.
   */
  reseal(): string | null;
}

/**
 * Opens a stored value for use: a plaintext one (stored before sealing began) as it is, a sealed one with the current
 * or a previous key. Anything not sealed with the current key comes back sealed with it too, for the caller to store
 * in the same write that records the use. A SecretBoxError says why a value does not open.
 */
export function openStoredSecret(stored: string, context: SealContext, ring?: SecretKeyring): OpenedSecret {
  if (!isSealed(stored)) return { plaintext: stored, from: 'plaintext', reseal: () => sealSecret(stored, context, (ring ?? secretKeyring()).current) };
  const keys = ring ?? secretKeyring();
  const plaintext = openSecret(stored, context, openingKeys(keys));
  if (sealedKeyId(stored) === keys.current.id) return { plaintext, from: 'current', reseal: () => null };
  return { plaintext, from: 'previous', reseal: () => sealSecret(plaintext, context, keys.current) };
}

let resolved: { config: Config; ring: SecretKeyring } | undefined;

/** The current key and the previous ones from the config; read again after the config is reset. */
export function secretKeyring(): SecretKeyring {
  const c = config();
  if (resolved?.config !== c) {
    const current = secretKey(c.SECRETS_KEY ?? keyFromDataDir(c));
    const previous = c.SECRETS_KEY_PREVIOUS.map(secretKey).filter((k, i, all) => k.id !== current.id && all.findIndex((o) => o.id === k.id) === i);
    resolved = { config: c, ring: { current, previous } };
  }
  return resolved.ring;
}

/** SECRETS_KEY, else (outside production) the key file in SAFEGUARD_DATA_DIR: the key everything is sealed with. */
export const currentSecretKey = (): SecretKey => secretKeyring().current;

function keyFromDataDir(c: Config): Buffer {
  // A key file beside the data would protect nothing that matters in production: backups and disks carry both.
  if (c.NODE_ENV === 'production') {
    throw new SecretBoxError('SECRETS_KEY is not set: production needs it to seal and open secrets kept in the database (32 bytes, e.g. `openssl rand -base64 32`).');
  }
  return readOrCreateKeyFile(path.join(c.SAFEGUARD_DATA_DIR, KEY_FILE_NAME));
}

/**
 * The embedded stack's key (`npm start`, the tests): the key file in its data folder, made once. The stack hands it to
 * the console as SECRETS_KEY, since the console it runs is a production build.
 */
export function embeddedSecretsKey(dataDir: string): string {
  return readOrCreateKeyFile(path.join(dataDir, KEY_FILE_NAME)).toString('base64');
}

/**
 * Reads the key file, or makes it (mode 0600) when there is none. The new key is written to a file of its own and then
 * linked into place, which fails if another process got there first: both then use the one that won, never half a file.
 */
function readOrCreateKeyFile(file: string): Buffer {
  const existing = readKeyFile(file);
  if (existing) return existing;
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const draft = `${file}.${crypto.randomBytes(6).toString('hex')}.tmp`;
  fs.writeFileSync(draft, `${crypto.randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  try {
    fs.linkSync(draft, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    fs.rmSync(draft, { force: true });
  }
  const key = readKeyFile(file);
  if (!key) throw new SecretBoxError(`${file} vanished while it was being made.`);
  return key;
}

function readKeyFile(file: string): Buffer | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const parsed = secretsKeySchema.safeParse(text);
  if (!parsed.success) {
    throw new SecretBoxError(`${file} is not a secrets key (32 bytes as base64 or hex): restore it, or set SECRETS_KEY to the key the secrets were sealed with.`);
  }
  return parsed.data;
}
