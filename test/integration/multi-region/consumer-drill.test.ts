/**
 * The consumer's drill across two regions (issue 27): a credential whose secret is primary in
 * us-east-1 with a replica in eu-west-1, and a stage in each region (the data-plane stand-in, each
 * checking its own region's keys). Consumers read the secret in their own region (the replica in
 * eu-west-1) and send every other request to the other region's stage, as failover or latency routing
 * would. keyrot runs a simulated year of scheduled rotations, a rollback and an emergency rotation;
 * every response is counted.
 */
import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { ApiKeyProvider, keyrotFetch } from '../../../consumer/index.js';
import { parseConfig } from '../../../functions/core/config.js';
import { onboardCredential } from '../../../functions/onboarding/onboard.js';
import { accountPlugin } from '../../support/emulator-account.js';
import { startStage } from '../../support/stage-data-plane.js';
import { drillIncidents } from '../../support/drill.js';
import { createPlans, dayAt, World } from '../../support/world.js';

const OTHER = 'eu-west-1';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('consumers in two regions through a year of rotations, a rollback and an emergency', () => {
  it('no failed request whichever region serves and whichever region the secret is read in', async () => {
    const world = new World(
      parseConfig({ staggerPercent: 0, defaultPolicy: '30d', replicaRegions: [OTHER] }),
    );
    const homeApi = world.raw().apigw;
    const otherApi = world.rawApigw(OTHER);
    const homePlans = await createPlans(homeApi, ['gold']);
    const otherPlans = await createPlans(otherApi, ['gold-eu']);
    await onboardCredential(
      { ...world.clients(), config: world.config, now: dayAt(0), regionalApis: world.regionalApis() },
      { credential: 'acme', usagePlanIds: homePlans, regions: [{ region: OTHER, usagePlanIds: otherPlans }] },
    );
    const stages = [
      await startStage({ apigw: homeApi, usagePlanIds: homePlans }),
      await startStage({ apigw: otherApi, usagePlanIds: otherPlans }),
    ];
    // testSecret's canary in each region: the new key is current only once both stages accept it.
    world.config = {
      ...world.config,
      canaryUrl: stages[0]!.url,
      replicaCanaryUrls: { [OTHER]: stages[1]!.url },
    };
    const replica = new SecretsManagerClient({
      region: OTHER,
      endpoint: world.endpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    replica.middlewareStack.use(accountPlugin(world.accountId));

    let running = true;
    const tally = { ok: 0, retried: 0, failed: 0, byRegion: [0, 0] };
    let today = 0;
    const failedOn: Record<string, number> = {};
    const consumer = async (secrets: SecretsManagerClient, first: number) => {
      const keys = new ApiKeyProvider({ secrets, maxAgeMs: 200 });
      let retried: boolean | undefined;
      const api = keyrotFetch(keys, 'acme', { previousFallback: true, onRetry: () => (retried = true) });
      for (let n = first; running; n++) {
        retried = false;
        const region = n % 2;
        const status = (await api(stages[region]!.url)).status;
        if (status !== 200) {
          tally.failed++;
          const where = `${today}:${secrets === replica ? 'replica' : 'primary'}:${region}`;
          failedOn[where] = (failedOn[where] ?? 0) + 1;
        } else if (retried) tally.retried++;
        else {
          tally.ok++;
          tally.byRegion[region]!++;
        }
        await sleep(10);
      }
    };
    const all = [
      ...Array.from({ length: 4 }, (_, i) => consumer(world.raw().secrets, i)),
      ...Array.from({ length: 4 }, (_, i) => consumer(replica, i)),
    ];
    // Days pass in a moment here, replication takes real seconds: each step waits until the replica
    // has what the step wrote and the consumers' cache (200 ms) has expired, as days of grace would.
    const inSync = async () => {
      const { ReplicationStatus } = await world
        .raw()
        .secrets.send(new DescribeSecretCommand({ SecretId: 'keyrot/acme' }));
      return (ReplicationStatus ?? []).every((r) => r.Status === 'InSync');
    };
    const at = async (day: number, step: () => Promise<unknown>) => {
      today = day;
      await step();
      await expect.poll(inSync, { timeout: 10_000, interval: 100 }).toBe(true);
      await sleep(300);
    };
    const runs: number[] = [];
    try {
      await sleep(300);
      // Scheduled rotations, a rollback inside a grace (both regions' previous key current again), an
      // emergency (the leaked key revoked in both regions once the replica has its successor).
      await drillIncidents(world, at, { rollback: 'acme', emergency: 'acme' });
      // The rest of the year on the schedule's days, weekly.
      for (let day = 107; day <= 365; day += 7) {
        runs.push(day);
        await at(day, () => world.run(day));
      }
    } finally {
      running = false;
      await Promise.all(all);
      for (const stage of stages) await stage.close();
    }
    console.log(
      `two-region consumer drill: ${JSON.stringify({ ...tally, failedOn, stages: stages.map((s) => s.answered) })}`,
    );
    expect(tally.failed).toBe(0);
    expect(tally.byRegion[0]).toBeGreaterThan(300);
    expect(tally.byRegion[1]).toBeGreaterThan(300);
    // The year rotated it on schedule in both regions: each region has its current key and at most the
    // previous generation still in its grace or disable window.
    const generations = async (apigw: typeof homeApi) => {
      const { readKeys } = await import('../../support/world.js');
      return (await readKeys(apigw)).map((k) => Number(k.tags['rotation:generation'])).sort((a, b) => a - b);
    };
    const home = await generations(homeApi);
    expect(home.at(-1)).toBeGreaterThanOrEqual(12);
    expect(await generations(otherApi)).toEqual(home);
  }, 600_000);
});
