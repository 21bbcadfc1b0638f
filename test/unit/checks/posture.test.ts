import { describe, expect, it } from 'vitest';
import { parseConfig, type Config } from '../../../functions/core/config.js';
import { plan } from '../../../functions/core/plan.js';
import type { Inventory } from '../../../functions/core/types.js';
import { at, config, key } from '../fixtures.js';

const postureFindings = (inventory: Inventory, cfg: Config) =>
  plan(inventory, cfg, at(10)).findings.filter((f) => f.kind.startsWith('posture-'));

const stage = (apiId: string, s = 'prod') => ({ apiId, stage: s });

function account(): Inventory {
  return {
    keys: [
      key({ id: 'wide', plans: ['p-wide'] }),
      key({ id: 'off', plans: ['p-wide'], enabled: false }),
      key({ id: 'narrow', plans: ['p-clean'] }),
    ],
    secrets: [],
    plans: [
      {
        id: 'p-clean',
        name: 'clean',
        apiStages: [stage('clean')],
        throttle: { rateLimit: 10 },
        quota: { limit: 100 },
      },
      { id: 'p-open', name: 'open', apiStages: [stage('open')], throttle: { burstLimit: 5 } },
      {
        id: 'p-wide',
        name: 'wide',
        apiStages: [stage('a'), stage('b'), stage('c'), stage('d')],
        throttle: {},
        quota: { limit: 1 },
      },
    ],
    apis: [
      { id: 'clean', name: 'clean-api', apiKeySource: 'HEADER', methodsWithoutKey: [] },
      { id: 'b', name: 'health-api', apiKeySource: 'HEADER', methodsWithoutKey: ['GET /health'] },
      {
        id: 'open',
        name: 'open-api',
        apiKeySource: 'HEADER',
        methodsWithoutKey: Array.from({ length: 12 }, (_, i) => `GET /m${i}`),
      },
      { id: 'a', name: 'authz-api', apiKeySource: 'AUTHORIZER', methodsWithoutKey: [] },
      { id: 'unplanned', name: 'not-in-a-plan', apiKeySource: 'AUTHORIZER', methodsWithoutKey: ['GET /'] },
    ],
  };
}

describe('posture: the API Gateway pitfalls', () => {
  it('one finding per pitfall; the clean API and plan yield none', () => {
    const findings = postureFindings(account(), config);
    expect(findings.map((f) => `${f.kind}:${f.usagePlanId ?? f.apiId ?? f.keyId}`)).toEqual([
      'posture-plan-unlimited:p-open',
      'posture-plan-unlimited:p-wide',
      'posture-method-without-key:b',
      'posture-method-without-key:open',
      'posture-authorizer-key-source:a',
      'posture-key-opens-many-apis:wide',
    ]);
    expect(findings[0]?.message).toContain('has no quota');
    expect(findings[1]?.message).toContain('has no throttle');
    expect(findings[3]?.message).toContain("12 method(s) don't set apiKeyRequired");
    expect(findings[3]?.message).toContain('and 2 more');
    expect(findings[2]?.message).toMatch(/1 method\(s\) don't set apiKeyRequired.*: GET \/health$/);
    expect(findings[4]?.message).toContain('apiKeySource AUTHORIZER');
    expect(findings[5]?.message).toContain('opens 4 APIs');
  });

  it('without API data, only plan and key findings; posture ignore silences all', () => {
    const inv = { ...account(), apis: undefined };
    expect(postureFindings(inv, config).map((f) => f.kind)).toEqual([
      'posture-plan-unlimited',
      'posture-plan-unlimited',
      'posture-key-opens-many-apis',
    ]);
    expect(postureFindings(account(), parseConfig({ hygiene: { posture: { action: 'ignore' } } }))).toEqual(
      [],
    );
  });

  it("a key's exemption from posture silences the findings about that key, not the plans' or APIs'", () => {
    const inv = account();
    inv.keys[0] = key({
      id: 'wide',
      plans: ['p-wide'],
      tags: {
        'rotation:exempt': 'posture',
        'rotation:exempt-until': '2027-12-31',
        'rotation:exempt-reason': 'the partner gateway needs all four APIs',
      },
    });
    const kinds = postureFindings(inv, config).map((f) => f.kind);
    expect(kinds).not.toContain('posture-key-opens-many-apis');
    expect(kinds).toContain('posture-plan-unlimited');
  });

  it('a key that is no current key (here: its credential has no secret) is checked too', () => {
    const inv = account();
    inv.keys[0] = key({ id: 'wide', plans: ['p-wide'], credential: 'c', generation: 1, version: 'v1' });
    expect(postureFindings(inv, config).map((f) => `${f.kind}:${f.keyId}`)).toContain(
      'posture-key-opens-many-apis:wide',
    );
  });
});
