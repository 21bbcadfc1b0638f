import { describe, expect, it } from 'vitest';
import { formatInstant, parseInstantTag } from '../../functions/core/tags.js';

describe('time tags', () => {
  it('round-trip through the ISO form the service writes', () => {
    const date = new Date('2026-03-04T05:06:07.089Z');
    const tags = { t: formatInstant(date) };
    expect(parseInstantTag(tags, 't', 'k1')).toEqual({ ok: true, value: date });
  });
});
