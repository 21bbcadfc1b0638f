import { describe, expect, it } from 'vitest';
import { DETAIL_TYPE, MAX_FINDING_EVENTS, runEvents } from '../../functions/core/events.js';
import type { Finding } from '../../functions/core/types.js';

const run = { runId: 'r1', trigger: 'schedule' as const, now: new Date('2026-03-01T03:00:00Z') };
const unmanaged = (i: number): Finding => ({
  kind: 'unmanaged',
  keyId: `u${i}`,
  message: `key u${i} has no rotation:credential tag: nobody rotates it`,
});

describe('run events', () => {
  it('a rotation done and one failed: API Key Rotated and API Key Rotation Failed, without values', () => {
    const events = runEvents(
      run,
      [
        {
          action: {
            kind: 'rotate',
            credential: 'a',
            secretId: 'arn:a',
            currentKeyId: 'k1',
            fromVersion: 'v1',
            token: 'v2',
            scheduleDays: 30,
            facts: { token: 'v2', generation: 2, currentKeyId: 'k1', planIds: ['p1'] },
            reason: 'due',
          },
          status: 'done',
          detail: 'v2',
        },
        {
          action: {
            kind: 'resume-rotation',
            credential: 'b',
            secretId: 'arn:b',
            token: 't',
            scheduleDays: 30,
            planIds: ['p1'],
            reason: 'r',
          },
          status: 'failed',
          error: { name: 'RotationStepError', message: 'credential b: broken' },
        },
        {
          action: { kind: 'disable-key', credential: 'c', keyId: 'k3', reason: 'grace ended' },
          status: 'deferred',
        },
      ],
      [],
    );
    expect(events.map((e) => e.detailType)).toEqual([DETAIL_TYPE.rotated, DETAIL_TYPE.rotationFailed]);
    expect(events[0]?.detail).toMatchObject({
      credential: 'a',
      version: 'v2',
      previousKeyId: 'k1',
      runId: 'r1',
    });
    expect(events[1]?.detail).toMatchObject({ credential: 'b', error: { name: 'RotationStepError' } });
  });

  it('9,000 standing findings: 100 finding events, credentials first, and one summary counting all', () => {
    const broken: Finding = {
      kind: 'current-key-missing',
      credential: 'orders',
      message: 'credential orders: no readable API key carries the AWSCURRENT version',
    };
    const findings = [...Array.from({ length: 9_000 }, (_, i) => unmanaged(i)), broken];
    const events = runEvents(run, [], findings);
    const perFinding = events.filter((e) => e.detailType === DETAIL_TYPE.finding);
    expect(perFinding).toHaveLength(MAX_FINDING_EVENTS);
    expect(perFinding[0]?.detail).toMatchObject({ kind: 'current-key-missing', credential: 'orders' });
    const summary = events.filter((e) => e.detailType === DETAIL_TYPE.findingsSummary);
    expect(summary.map((e) => e.detail)).toEqual([
      {
        runId: 'r1',
        trigger: 'schedule',
        time: '2026-03-01T03:00:00.000Z',
        findings: 9_001,
        byKind: { unmanaged: 9_000, 'current-key-missing': 1 },
        sentAsEvents: 100,
      },
    ]);
  });

  it('a run without findings sends no summary', () => {
    expect(runEvents(run, [], [])).toEqual([]);
  });
});
