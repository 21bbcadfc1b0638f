import { describe, expect, it } from 'vitest';
import { labelledVersions } from '../../functions/core/stages.js';

describe('labelledVersions (DescribeSecret VersionIdsToStages)', () => {
  it('names the AWSCURRENT version and a rotation under way on another version', () => {
    expect(labelledVersions({ a: ['AWSPREVIOUS'], b: ['AWSCURRENT'], c: ['AWSPENDING'] })).toEqual({
      current: 'b',
      pending: 'c',
    });
  });

  it('AWSPENDING left on the current version is no rotation under way', () => {
    expect(labelledVersions({ b: ['AWSCURRENT', 'AWSPENDING'] })).toEqual({
      current: 'b',
      pending: undefined,
    });
  });

  it('a secret without versions has neither; one without AWSCURRENT only the version being made', () => {
    expect(labelledVersions(undefined)).toEqual({ current: undefined, pending: undefined });
    expect(labelledVersions({ c: ['AWSPENDING'] })).toEqual({ current: undefined, pending: 'c' });
  });
});
