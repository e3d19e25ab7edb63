// The parts of API keys that need no database: the header, the hash.
import { describe, expect, it } from 'vitest';
import { bearerToken, hashApiKey } from '../../lib/api-keys';

describe('bearerToken', () => {
  it('reads the key from a Bearer header, in any case of the scheme', () => {
    expect(bearerToken('Bearer sgk_0123456789ab_secret')).toBe('sgk_0123456789ab_secret');
    expect(bearerToken('bearer   sgk_x ')).toBe('sgk_x');
  });

  it.each([null, '', 'Basic dXNlcjpwYXNz', 'Bearer', 'Bearer a b', 'sgk_0123456789ab_secret'])('finds no key in %j', (header) => {
    expect(bearerToken(header)).toBeUndefined();
  });
});

describe('hashApiKey', () => {
  it('is the hex SHA-256 of the whole key', () => {
    expect(hashApiKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(hashApiKey('sgk_a_b')).toHaveLength(64);
  });
});
