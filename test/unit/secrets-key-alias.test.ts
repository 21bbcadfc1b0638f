import { describe, expect, it } from 'vitest';
import { secretsKeyAlias } from '../../functions/core/secrets-key-alias.js';

/** KMS's rule for an alias name: alias/ then 1-250 of A-Z a-z 0-9 / _ -, never under alias/aws/. */
const valid = (alias: string) =>
  /^alias\/[A-Za-z0-9/_-]+$/.test(alias) && alias.length <= 256 && !alias.startsWith('alias/aws/');

describe('secretsKeyAlias', () => {
  it('names the default prefix readably', () => {
    expect(secretsKeyAlias('keyrot/')).toBe('alias/keyrot-secrets/keyrot_2f');
  });

  it('is a valid alias name for every secret-name character', () => {
    for (const prefix of ['keyrot/', 'a+b=c.d@e-f_g/', '/', '..', 'x'.repeat(200), '@'.repeat(200)])
      expect(valid(secretsKeyAlias(prefix)), prefix).toBe(true);
  });

  it('gives prefixes that differ different aliases (two stacks in one region never share one)', () => {
    const prefixes = ['keyrot/', 'keyrot_', 'keyrot.', 'keyrot_2f', 'keyrot', 'a_b', 'a.b', 'a/b', 'a__b'];
    const long = ['@'.repeat(200), `${'@'.repeat(199)}.`, `${'@'.repeat(190)}a`];
    const aliases = [...prefixes, ...long].map(secretsKeyAlias);
    expect(new Set(aliases).size).toBe(aliases.length);
  });
});
