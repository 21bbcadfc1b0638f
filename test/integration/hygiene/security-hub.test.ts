import {
  CreateApiKeyCommand,
  CreateUsagePlanKeyCommand,
  UpdateApiKeyCommand,
} from '@aws-sdk/client-api-gateway';
import {
  EnableSecurityHubCommand,
  paginateGetFindings,
  type AwsSecurityFinding,
} from '@aws-sdk/client-securityhub';
import { beforeAll, describe, expect, it } from 'vitest';
import { onboardCredential } from '../../../functions/onboarding/onboard.js';
import { parseConfig } from '../../../functions/core/config.js';
import { day as dayOf } from '../../../functions/core/time.js';
import { generateKeyValue } from '../../../functions/rotation/secret-value.js';
import type { RunResult } from '../../../functions/reconcile/run.js';
import { seedUsage, type UsageRecord } from '../../support/emulator-account.js';
import { createPlans, dayAt, leakedValues, readAwsState, World } from '../../support/world.js';

const DAYS = 365;
const DORMANT = 'dormant-reports';

/** Every keyrot finding of the world's account in Security Hub (any record state). */
async function keyrotFindings(world: World, active = false): Promise<AwsSecurityFinding[]> {
  const found: AwsSecurityFinding[] = [];
  const product = `arn:aws:securityhub:${world.region}:${world.accountId}:product/${world.accountId}/default`;
  for await (const page of paginateGetFindings(
    { client: world.clients().securityhub, pageSize: 100 },
    {
      Filters: {
        ProductArn: [{ Value: product, Comparison: 'EQUALS' }],
        GeneratorId: [{ Value: 'keyrot/', Comparison: 'PREFIX' }],
        ...(active && { RecordState: [{ Value: 'ACTIVE', Comparison: 'EQUALS' }] }),
      },
    },
  ))
    found.push(...(page.Findings ?? []));
  return found;
}

/** The open findings of a run, as ids: what it reported, not resolved by itself, and its failed rotations. */
function openIds(result: RunResult): string[] {
  const region = result.report.region!;
  const ids = result.report.findings
    .filter((f) => f.resolvedByRun === undefined && f.kind !== 'read-failed')
    .map((f) => {
      const subject = f.keyId ?? f.usagePlanId ?? f.apiId ?? f.credential ?? 'account';
      return `keyrot/${region}/${f.kind}/${f.tag === undefined ? subject : `${subject}/${f.tag}`}`;
    });
  const failed = result.report.actions
    .filter((a) => a.outcome === 'failed' && (a.kind === 'rotate' || a.kind === 'resume-rotation'))
    .map((a) => `keyrot/${region}/rotation-failed/${a.credential}`);
  return [...new Set([...ids, ...failed])].sort();
}

describe('Security Hub findings over a simulated year of daily runs', () => {
  // Unused keys are disabled (and deleted a window later): their findings stop holding during the year.
  const config = parseConfig({
    staggerPercent: 0,
    pacing: { quotaScale: 8 },
    securityHub: { enabled: true, runbookBaseUrl: 'https://example.com/keyrot/runbooks/' },
    hygiene: { unused: { action: 'disable', days: 30 } },
  });
  const world = new World(config);
  const runs: RunResult[] = [];
  const values = new Set<string>();
  let legacy = '';
  let temp = '';

  beforeAll(async () => {
    const { apigw } = world.raw();
    await world.clients().securityhub.send(new EnableSecurityHubCommand({}));
    const plans = await createPlans(apigw, ['gold', 'silver']);
    for (const [i, [credential, policy]] of (
      [
        ['acme-checkout', '30d'],
        ['globex-partner', '90d'],
        [DORMANT, '60d'],
      ] as const
    ).entries()) {
      await onboardCredential(
        { ...world.clients(), config: world.config, now: dayAt(0) },
        { credential, usagePlanIds: [plans[i % 2]!], policy },
      );
    }
    // Keys made by hand: one in daily use (unmanaged all year), one nobody uses (unused, then disabled).
    const created = async (name: string) =>
      (await apigw.send(new CreateApiKeyCommand({ name, enabled: true, value: generateKeyValue() }))).id!;
    legacy = await created('legacy-batch-job');
    await apigw.send(
      new CreateUsagePlanKeyCommand({ usagePlanId: plans[0]!, keyId: legacy, keyType: 'API_KEY' }),
    );
    temp = await created('temp-load-test');
    await apigw.send(
      new CreateUsagePlanKeyCommand({ usagePlanId: plans[1]!, keyId: temp, keyType: 'API_KEY' }),
    );
    const old = await created('old-partner-2019');
    await apigw.send(
      new UpdateApiKeyCommand({
        apiKey: old,
        patchOperations: [{ op: 'replace', path: '/enabled', value: 'false' }],
      }),
    );

    for (let day = 1; day <= DAYS; day++) {
      const result = await world.run(day);
      runs.push(result);
      // The day's traffic: every consumer but the dormant one calls with its current key; so does the legacy job.
      const records: UsageRecord[] = [];
      for (const row of result.report.keys) {
        const calls =
          (row.credential !== null && row.credential !== DORMANT && row.state === 'active') ||
          row.keyId === legacy;
        if (!calls || !row.enabled) continue;
        for (const usagePlanId of row.usagePlans)
          records.push({ usagePlanId, keyId: row.keyId, date: dayOf(dayAt(day)), used: 100 });
      }
      if (records.length > 0) await seedUsage(world.accountId, world.region, records);
      // Every key's value, while it exists (a key lives longer than five days: grace, then the disable window).
      if (day % 5 === 1 || day === DAYS)
        for (const k of (await readAwsState(world)).keys) values.add(k.value);
    }
  }, 900_000);

  it('every run published without a problem, and rotated keys along the way', () => {
    expect(runs.map((r) => r.securityHub?.problems ?? ['not published']).flat()).toEqual([]);
    expect(
      runs.flatMap((r) => r.outcomes).filter((o) => o.action.kind === 'rotate' && o.status === 'done').length,
    ).toBeGreaterThan(10);
    expect(runs.every((r) => r.securityHub!.active > 0)).toBe(true);
  });

  it('leaves ACTIVE in Security Hub exactly the last run’s open findings, one for one', async () => {
    const last = runs.at(-1)!;
    const active = await keyrotFindings(world, true);
    expect(active.map((f) => f.Id).sort()).toEqual(openIds(last));
    expect(active.every((f) => f.Compliance?.Status === 'FAILED' && f.Workflow?.Status === 'NEW')).toBe(true);
    // The hand-made key in daily use is among them, reported all year.
    expect(active.map((f) => f.GeneratorId)).toEqual(expect.arrayContaining(['keyrot/unmanaged']));
  });

  it('marks what stopped holding during the year ARCHIVED, PASSED and RESOLVED', async () => {
    const all = await keyrotFindings(world);
    const archived = all.filter((f) => f.RecordState !== 'ACTIVE');
    // The hand-made key nobody used: unmanaged until a run disabled it as unused (that run resolved the
    // unused finding itself, so it never opened). The dormant consumer's keys: unused until rotated away.
    expect(archived.map((f) => f.Id)).toEqual(
      expect.arrayContaining([`keyrot/${world.region}/unmanaged/${temp}`]),
    );
    expect(archived.filter((f) => f.GeneratorId === 'keyrot/unused').length).toBeGreaterThan(1);
    for (const f of archived) {
      expect({
        id: f.Id,
        record: f.RecordState,
        compliance: f.Compliance?.Status,
        workflow: f.Workflow?.Status,
      }).toEqual({
        id: f.Id,
        record: 'ARCHIVED',
        compliance: 'PASSED',
        workflow: 'RESOLVED',
      });
    }
  });

  it('keeps one finding per check and key: a check that held all year is one finding since day 1', async () => {
    const all = await keyrotFindings(world);
    const ids = all.map((f) => f.Id);
    expect(new Set(ids).size).toBe(ids.length);
    const unmanaged = all.filter((f) => f.Id === `keyrot/${world.region}/unmanaged/${legacy}`);
    expect(unmanaged).toHaveLength(1);
    expect(unmanaged[0]).toMatchObject({
      RecordState: 'ACTIVE',
      CreatedAt: dayAt(1).toISOString(),
      FirstObservedAt: dayAt(1).toISOString(),
      LastObservedAt: dayAt(DAYS).toISOString(),
      Resources: [{ Type: 'Other', Id: `arn:aws:apigateway:${world.region}::/apikeys/${legacy}` }],
      Remediation: {
        Recommendation: { Url: 'https://example.com/keyrot/runbooks/onboard-existing-keys.md' },
      },
    });
  });

  it('carries no key value anywhere in the findings', async () => {
    const all = await keyrotFindings(world);
    expect(values.size).toBeGreaterThan(10);
    expect(leakedValues(values, [JSON.stringify(all)])).toEqual([]);
  });
});

describe('Security Hub not enabled in the account', () => {
  it('the run completes and says once how to fix it', async () => {
    const world = new World(parseConfig({ staggerPercent: 0, securityHub: { enabled: true } }));
    const [plan] = await createPlans(world.raw().apigw, ['gold']);
    await onboardCredential(
      { ...world.clients(), config: world.config, now: dayAt(0) },
      { credential: 'acme', usagePlanIds: [plan!] },
    );
    const result = await world.run(100);
    expect(result.outcomes.filter((o) => o.status === 'failed')).toEqual([]);
    expect(result.outcomes.some((o) => o.action.kind === 'rotate' && o.status === 'done')).toBe(true);
    expect(result.securityHub).toEqual({
      active: 0,
      archived: 0,
      problems: [
        'Security Hub is not enabled in this account and region: enable it (EnableSecurityHub, or the console), or set securityHub.enabled to false in keyrot’s configuration',
      ],
    });
    const warnings = world.logs.filter((l) => l.includes('"level":"WARN"') && l.includes('security hub'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('set securityHub.enabled to false');
  });
});
