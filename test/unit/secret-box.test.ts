// The secret box: sealed values open only with their key and for their record, any altered byte is refused, and the
// key comes from SECRETS_KEY or (outside production) a key file made once in the data dir.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { config, resetConfigForTests } from '../../lib/config';
import { currentSecretKey, isSealed, KEY_FILE_NAME, openSecret, openStoredSecret, sealedKeyId, sealSecret, SecretBoxError, secretKey, secretKeyring } from '../../lib/secret-box';

const KEY = secretKey(crypto.randomBytes(32));
const OTHER_KEY = secretKey(crypto.randomBytes(32));
const ANA = { purpose: 'totp-secret', subject: '0b8f5a52-5d3e-4c1e-9a51-7c3f1f0e2a11' };
const BEN = { purpose: 'totp-secret', subject: '6d0e9f7c-2b4a-4f7e-8c3d-1a2b3c4d5e6f' };
const SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const B64URL = '[A-Za-z0-9_-]';

/** The sealed text with one byte of part `index` (2 iv, 3 ciphertext, 4 tag) flipped, still in canonical base64url. */
function flipByte(sealed: string, index: number): string {
  const parts = sealed.split(':');
  const bytes = Buffer.from(parts[index]!, 'base64url');
  bytes[0]! ^= 0x01;
  parts[index] = bytes.toString('base64url');
  return parts.join(':');
}

const refusal = (run: () => unknown): SecretBoxError => {
  try {
    run();
  } catch (err) {
    if (err instanceof SecretBoxError) return err;
    throw err;
  }
  throw new Error('expected a SecretBoxError, but it opened');
};

describe('sealSecret and openSecret', () => {
  it('round-trips, with a fresh IV each time and nothing of the plaintext in the text', () => {
    const sealed = sealSecret(SECRET, ANA, KEY);
    expect(sealed).toMatch(new RegExp(`^v1:${KEY.id}:${B64URL}{16}:${B64URL}+:${B64URL}{22}$`));
    expect(sealed).not.toContain(SECRET);
    expect(isSealed(sealed)).toBe(true);
    expect(openSecret(sealed, ANA, [KEY])).toBe(SECRET);

    const again = sealSecret(SECRET, ANA, KEY);
    expect(again.split(':')[2]).not.toBe(sealed.split(':')[2]);
    expect(again).not.toBe(sealed);
    expect(openSecret(again, ANA, [KEY])).toBe(SECRET);

    for (const text of ['', 'ünïcödé ✓', 'x'.repeat(1000)]) expect(openSecret(sealSecret(text, ANA, KEY), ANA, [KEY])).toBe(text);
  });

  it('tells a plaintext secret stored before sealing from a sealed value', () => {
    expect(isSealed(SECRET)).toBe(false);
    expect(isSealed('JBSWY3DPEHPK3PXP')).toBe(false);
    // A later format version is sealed too: it is refused as unknown, never taken for plaintext.
    expect(isSealed('v2:abc:def')).toBe(true);
  });

  it('refuses a value with any byte of its IV, ciphertext or tag altered', () => {
    const sealed = sealSecret(SECRET, ANA, KEY);
    for (const index of [2, 3, 4]) {
      const tampered = flipByte(sealed, index);
      expect(tampered).not.toBe(sealed);
      expect(refusal(() => openSecret(tampered, ANA, [KEY])).message).toMatch(/does not authenticate .*altered, or copied from another record/);
    }
  });

  it('refuses a value whose text was altered, cut short or is of an unknown version', () => {
    const sealed = sealSecret(SECRET, ANA, KEY);
    const [, keyId, iv, ciphertext, tag] = sealed.split(':');
    const unknownFormat = [
      `v2:${keyId}:${iv}:${ciphertext}:${tag}`,
      `v1:${keyId}:${iv}:${ciphertext}`,
      `${sealed}:extra`,
      // The same bytes, but not their canonical text.
      `v1:${keyId}:${iv}:${ciphertext}:${tag}==`,
      `v1:${keyId}:${iv}:${ciphertext}:${tag}!`,
    ];
    for (const text of unknownFormat) expect(refusal(() => openSecret(text, ANA, [KEY])).message).toMatch(/not in a format this version reads \(v1\)/);
    expect(refusal(() => openSecret(`v1:${keyId}:${iv}:${ciphertext}:${tag!.slice(0, 12)}`, ANA, [KEY])).message).toMatch(/truncated/);
    expect(refusal(() => openSecret(`v1:${keyId}:${iv!.slice(0, 8)}:${ciphertext}:${tag}`, ANA, [KEY])).message).toMatch(/truncated/);
  });

  it("refuses a value copied into another record: another user's row, or another purpose", () => {
    const sealed = sealSecret(SECRET, ANA, KEY);
    const err = refusal(() => openSecret(sealed, BEN, [KEY]));
    expect(err.message).toBe(`Cannot open the sealed totp-secret of ${BEN.subject}: it does not authenticate with key ${KEY.id} (altered, or copied from another record).`);
    expect(err.message).not.toContain(SECRET);
    expect(refusal(() => openSecret(sealed, { ...ANA, purpose: 'api-token' }, [KEY]))).toBeInstanceOf(SecretBoxError);
  });

  it('refuses another key, naming the key the value needs; opens with it among the keys given', () => {
    const sealed = sealSecret(SECRET, ANA, KEY);
    expect(KEY.id).not.toBe(OTHER_KEY.id);
    expect(refusal(() => openSecret(sealed, ANA, [OTHER_KEY])).message).toMatch(new RegExp(`sealed with key ${KEY.id}, but the key in use is ${OTHER_KEY.id}`));
    // A key id swapped in the text does not help: the id is authenticated too.
    const relabelled = sealed.replace(`:${KEY.id}:`, `:${OTHER_KEY.id}:`);
    expect(refusal(() => openSecret(relabelled, ANA, [OTHER_KEY])).message).toMatch(/does not authenticate/);
    expect(openSecret(sealed, ANA, [OTHER_KEY, KEY])).toBe(SECRET);
  });

  it('derives the same id from the same key material, and wants 32 bytes', () => {
    const material = crypto.randomBytes(32);
    expect(secretKey(Buffer.from(material)).id).toBe(secretKey(material).id);
    expect(() => secretKey(crypto.randomBytes(16))).toThrow(/32 bytes/);
  });
});

describe('the key in use', () => {
  // Next's types make NODE_ENV read-only; the environment is a plain map at run time.
  const env = process.env as Record<string, string | undefined>;
  /** Changes the environment and has the config read it afresh, as a process started with it would. */
  function setEnv(vars: Record<string, string | undefined>) {
    for (const [name, value] of Object.entries(vars)) {
      if (value === undefined) delete env[name];
      else env[name] = value;
    }
    resetConfigForTests();
  }
  const saved = { SAFEGUARD_DATA_DIR: env.SAFEGUARD_DATA_DIR, SECRETS_KEY: env.SECRETS_KEY, SECRETS_KEY_PREVIOUS: env.SECRETS_KEY_PREVIOUS, NODE_ENV: env.NODE_ENV };
  let dataDir: string;

  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'safeguard-secret-box-'));
    setEnv({ SAFEGUARD_DATA_DIR: dataDir, SECRETS_KEY: undefined, SECRETS_KEY_PREVIOUS: undefined, NODE_ENV: 'test' });
  });

  afterEach(() => {
    setEnv(saved);
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const keyFile = () => path.join(dataDir, KEY_FILE_NAME);

  it('is made once as a key file (mode 0600) in the data dir when SECRETS_KEY is unset, then reused', () => {
    expect(fs.existsSync(keyFile())).toBe(false);
    const sealed = sealSecret(SECRET, ANA);
    const stat = fs.statSync(keyFile());
    expect(stat.mode & 0o777).toBe(0o600);
    const text = fs.readFileSync(keyFile(), 'utf8');
    expect(Buffer.from(text.trim(), 'base64')).toHaveLength(32);
    expect(secretKey(Buffer.from(text.trim(), 'base64')).id).toBe(currentSecretKey().id);
    // No draft is left beside it.
    expect(fs.readdirSync(dataDir)).toEqual([KEY_FILE_NAME]);

    // As a restarted process would: the config read afresh, the same file and key.
    resetConfigForTests();
    expect(openSecret(sealed, ANA)).toBe(SECRET);
    expect(fs.readFileSync(keyFile(), 'utf8')).toBe(text);
    expect(fs.readdirSync(dataDir)).toEqual([KEY_FILE_NAME]);
  });

  it('makes the data dir when there is none yet', () => {
    setEnv({ SAFEGUARD_DATA_DIR: path.join(dataDir, 'nested', 'data') });
    currentSecretKey();
    expect(fs.statSync(path.join(dataDir, 'nested', 'data', KEY_FILE_NAME)).mode & 0o777).toBe(0o600);
  });

  it('uses a key file that is already there (as another process made it), and refuses one that is not a key', () => {
    const material = crypto.randomBytes(32);
    fs.writeFileSync(keyFile(), `${material.toString('hex')}\n`, { mode: 0o600 });
    expect(currentSecretKey().id).toBe(secretKey(material).id);

    fs.writeFileSync(keyFile(), 'not a key\n');
    resetConfigForTests();
    expect(refusal(() => currentSecretKey()).message).toMatch(/secrets\.key is not a secrets key \(32 bytes as base64 or hex\)/);
  });

  it('is SECRETS_KEY when set, as base64 or hex, and no key file is made', () => {
    const material = crypto.randomBytes(32);
    for (const text of [material.toString('base64'), material.toString('base64url'), material.toString('hex'), ` ${material.toString('hex').toUpperCase()} `]) {
      setEnv({ SECRETS_KEY: text });
      expect(config().SECRETS_KEY).toEqual(material);
      expect(currentSecretKey().id).toBe(secretKey(material).id);
    }
    expect(openSecret(sealSecret(SECRET, ANA), ANA, [secretKey(material)])).toBe(SECRET);
    expect(fs.existsSync(keyFile())).toBe(false);
  });

  it('refuses a SECRETS_KEY that is not 32 bytes, without repeating it', () => {
    for (const bad of ['too-short', crypto.randomBytes(16).toString('base64'), crypto.randomBytes(33).toString('hex'), `${crypto.randomBytes(32).toString('base64')}!`]) {
      setEnv({ SECRETS_KEY: bad });
      let message = '';
      try {
        config();
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toMatch(/SECRETS_KEY: must be 32 bytes as 64 hex digits or base64/);
      expect(message).not.toContain(bad);
    }
  });

  it('is refused in production without SECRETS_KEY, when a secret is sealed or opened, and no key file is made', () => {
    const sealed = sealSecret(SECRET, ANA, KEY);
    setEnv({ NODE_ENV: 'production' });
    // Everything else still starts: the refusal comes when a secret is needed.
    expect(config().SECRETS_KEY).toBeUndefined();
    const message = /^SECRETS_KEY is not set: production needs it to seal and open secrets kept in the database/;
    expect(refusal(() => sealSecret(SECRET, ANA)).message).toMatch(message);
    expect(refusal(() => openSecret(sealed, ANA)).message).toMatch(message);
    // A secret stored before sealing began is read without a key (a wrong code fails as a wrong code); sealing it is refused.
    const legacy = openStoredSecret(SECRET, ANA);
    expect(legacy).toMatchObject({ plaintext: SECRET, from: 'plaintext' });
    expect(refusal(() => legacy.reseal()).message).toMatch(message);
    expect(fs.existsSync(keyFile())).toBe(false);

    setEnv({ SECRETS_KEY: crypto.randomBytes(32).toString('base64') });
    expect(openSecret(sealSecret(SECRET, ANA), ANA)).toBe(SECRET);
    expect(fs.existsSync(keyFile())).toBe(false);
  });

  /** The message config() throws for the environment as it is now ('' when it parses). */
  function configError(): string {
    try {
      config();
      return '';
    } catch (err) {
      return (err as Error).message;
    }
  }

  it('rotates: sealed under key A, then B current with A in SECRETS_KEY_PREVIOUS, it opens and is sealed again under B', () => {
    const [a, b, c] = [crypto.randomBytes(32), crypto.randomBytes(32), crypto.randomBytes(32)];
    setEnv({ SECRETS_KEY: a.toString('base64') });
    const underA = sealSecret(SECRET, ANA);
    expect(sealedKeyId(underA)).toBe(secretKey(a).id);
    const asCurrent = openStoredSecret(underA, ANA);
    expect(asCurrent).toMatchObject({ plaintext: SECRET, from: 'current' });
    expect(asCurrent.reseal()).toBeNull();

    // B alone: A's value names the key it needs.
    setEnv({ SECRETS_KEY: b.toString('hex') });
    expect(refusal(() => openSecret(underA, ANA)).message).toMatch(new RegExp(`sealed with key ${secretKey(a).id}, but the key in use is ${secretKey(b).id} .*SECRETS_KEY_PREVIOUS`));

    // B current, C and A previous (hex and base64, spaces around commas): opens; sealing uses B only.
    setEnv({ SECRETS_KEY_PREVIOUS: ` ${c.toString('hex')} , ${a.toString('base64')}` });
    expect(config().SECRETS_KEY_PREVIOUS).toEqual([c, a]);
    const ring = secretKeyring();
    expect(ring.current.id).toBe(secretKey(b).id);
    expect(ring.previous.map((k) => k.id)).toEqual([secretKey(c).id, secretKey(a).id]);
    expect(openSecret(underA, ANA)).toBe(SECRET);
    expect(sealedKeyId(sealSecret(SECRET, ANA))).toBe(secretKey(b).id);

    const opened = openStoredSecret(underA, ANA);
    expect(opened).toMatchObject({ plaintext: SECRET, from: 'previous' });
    const resealed = opened.reseal()!;
    expect(sealedKeyId(resealed)).toBe(secretKey(b).id);
    expect(openSecret(resealed, ANA, [secretKey(b)])).toBe(SECRET);
    // The resealed value is bound to its record as any other.
    expect(refusal(() => openSecret(resealed, BEN))).toBeInstanceOf(SecretBoxError);

    // Plaintext from before sealing: used as it is, and sealed under B.
    const legacy = openStoredSecret(SECRET, ANA);
    expect(legacy).toMatchObject({ plaintext: SECRET, from: 'plaintext' });
    expect(openSecret(legacy.reseal()!, ANA, [secretKey(b)])).toBe(SECRET);

    // A value under a key configured nowhere, or altered under a previous key, still does not open.
    expect(refusal(() => openStoredSecret(sealSecret(SECRET, ANA, KEY), ANA)).message).toMatch(new RegExp(`sealed with key ${KEY.id}, but the keys in use are ${secretKey(b).id}, ${secretKey(c).id}, ${secretKey(a).id}`));
    const altered = underA.replace(/:([\w-])([\w-]*)$/, (_, first: string, rest: string) => `:${first === 'A' ? 'B' : 'A'}${rest}`);
    expect(refusal(() => openStoredSecret(altered, ANA)).message).toMatch(new RegExp(`does not authenticate with key ${secretKey(a).id}`));
  });

  it('leaves out of the previous keys the current key and repeats, and works beside the key file', () => {
    const a = crypto.randomBytes(32);
    const fileKey = currentSecretKey();
    setEnv({ SECRETS_KEY_PREVIOUS: [a.toString('base64'), fs.readFileSync(keyFile(), 'utf8').trim(), a.toString('hex')].join(',') });
    expect(secretKeyring()).toMatchObject({ current: { id: fileKey.id }, previous: [{ id: secretKey(a).id }] });
    expect(openSecret(sealSecret(SECRET, ANA, secretKey(a)), ANA)).toBe(SECRET);
  });

  it('refuses a malformed SECRETS_KEY_PREVIOUS, saying which key is wrong without repeating any', () => {
    const good = crypto.randomBytes(32).toString('base64');
    const short = crypto.randomBytes(16).toString('base64');
    const cases: [string, RegExp][] = [
      [short, /SECRETS_KEY_PREVIOUS: the key must be 32 bytes as 64 hex digits or base64/],
      [`${good},${short}`, /SECRETS_KEY_PREVIOUS: key 2 of 2 must be 32 bytes as 64 hex digits or base64/],
      [`${good},,${good}`, /SECRETS_KEY_PREVIOUS: key 2 of 3 is empty \(keys are separated by single commas\)/],
      [`${good},`, /SECRETS_KEY_PREVIOUS: key 2 of 2 is empty/],
      [`${good} ${good}`, /SECRETS_KEY_PREVIOUS: the key must be 32 bytes/],
    ];
    for (const [value, message] of cases) {
      setEnv({ SECRETS_KEY_PREVIOUS: value });
      const text = configError();
      expect(text).toMatch(message);
      expect(text).not.toContain(good);
      expect(text).not.toContain(short);
    }
    setEnv({ SECRETS_KEY_PREVIOUS: `${short},not-a-key` });
    expect(configError()).toMatch(/key 1 of 2 must be 32 bytes[^]*key 2 of 2 must be 32 bytes/);
    for (const unset of [undefined, '', '  ']) {
      setEnv({ SECRETS_KEY_PREVIOUS: unset });
      expect(config().SECRETS_KEY_PREVIOUS).toEqual([]);
    }
  });
});
