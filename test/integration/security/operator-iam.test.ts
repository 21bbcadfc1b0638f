/**
 * The operators' least-privilege policies (issue 28 item 7, infra/operator-permissions.ts) on the
 * emulator's IAM: each use's customer managed policy, as the stack publishes it, on a role whose
 * session signs every call of `keyrot` (the IAM gateway in front of the emulator authorizes them as IAM
 * does). Each verb of a use works with its policy alone; a verb of another use is refused (AccessDenied:
 * "User: ... is not authorized to perform: ...", as AWS says it).
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AttachRolePolicyCommand, CreateRoleCommand } from '@aws-sdk/client-iam';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../cli/main.js';
import { startIamGateway, type IamGateway } from '../../../emulator/iam/gateway.mjs';
import { accountPlugin } from '../../support/emulator-account.js';
import { plainIam } from '../../support/role-statements.js';
import { deployedWorld, DEPLOYED_30D, rotationsSettled, useTimedEmulator } from '../../support/deployed.js';
import { createPlans, dayAt, type World } from '../../support/world.js';

const emulator = useTimedEmulator();
const gateways: IamGateway[] = [];
afterAll(async () => {
  await Promise.all(gateways.map((g) => g.close()));
});

type Use = 'OperatorReadOnly' | 'OperatorOnCall' | 'OperatorOnboard';

/** `keyrot ARGS` as someone whose role has only the stack's policy for `use`. */
async function operator(world: World, use: Use) {
  const deployment = world.deployment!;
  const policyArn = deployment.managedPolicies[`${use}Policy`];
  expect(policyArn, `the stack's ${use}Policy`).toBeDefined();
  const iam = plainIam(world);
  const roleName = `oncall-${use}`;
  const role = await iam.send(
    new CreateRoleCommand({
      RoleName: roleName,
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: `arn:aws:iam::${world.accountId}:root` },
            Action: 'sts:AssumeRole',
          },
        ],
      }),
    }),
  );
  await iam.send(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: policyArn }));
  const gateway = await startIamGateway({
    upstream: world.endpoint,
    account: world.accountId,
    roleArn: role.Role!.Arn!,
    sessionName: 'alice',
    ...(process.env.KEYROT_IAM_LOG !== undefined && { logFile: process.env.KEYROT_IAM_LOG }),
  });
  gateways.push(gateway);
  // The operator's configuration names what the stack outputs: the rotation function, the key, the lease.
  const deployed = JSON.parse(deployment.reconciler.environment.KEYROT_CONFIG ?? '{}') as {
    leaseBucket?: string;
  };
  const file = join(tmpdir(), `keyrot-${world.accountId}-${use}.json`);
  writeFileSync(file, JSON.stringify({ ...world.config, leaseBucket: deployed.leaseBucket }));
  return async (...args: string[]) => {
    let stdout = '';
    let stderr = '';
    const code = await runCli([...args, '--endpoint-url', gateway.endpoint, '--config', file], {
      stdout: (t) => (stdout += t),
      stderr: (t) => (stderr += t),
      plugins: [accountPlugin(world.accountId)],
    });
    return { code, stdout, stderr };
  };
}

const at = (day: number) => ['--now', dayAt(day).toISOString()];

describe("operators' policies, on the emulator's IAM", () => {
  it('read-only: plan, status, report and preflight work; rotate and onboard are refused AccessDenied', async () => {
    const { world } = await deployedWorld(emulator.endpoint(), DEPLOYED_30D, ['acme']);
    const keyrot = await operator(world, 'OperatorReadOnly');
    const reports = world.deployment!.reconciler.environment.REPORT_BUCKET!;
    for (const args of [
      ['plan', ...at(1)],
      ['status', 'acme', ...at(1)],
      ['preflight'],
      ['report', '--bucket', reports, '--from', '2026-01-01', '--to', '2026-01-31'],
    ]) {
      const out = await keyrot(...args);
      expect({ args, code: out.code, stderr: out.stderr }).toMatchObject({ args, code: 0 });
    }
    const rotate = await keyrot('rotate', 'acme', ...at(2));
    expect(rotate.code).not.toBe(0);
    expect(rotate.stderr).toContain('is not authorized to perform');
    const [plan] = await createPlans(world.raw().apigw, ['bronze']);
    const onboard = await keyrot('onboard', 'bob', '--plan', plan!, ...at(2));
    expect(onboard.code).not.toBe(0);
    expect(onboard.stderr).toContain('is not authorized to perform');
  });

  it('on-call: rotate, suspend, resume, rollback and apply work (the run lease too); onboard is refused', async () => {
    const { world } = await deployedWorld(emulator.endpoint(), DEPLOYED_30D, ['acme']);
    const keyrot = await operator(world, 'OperatorOnCall');
    const ok = async (...args: string[]) => {
      const out = await keyrot(...args);
      expect({ args, code: out.code, stderr: out.stderr }).toMatchObject({ args, code: 0 });
      return out;
    };
    await ok('rotate', 'acme', ...at(3));
    await rotationsSettled(world.endpoint);
    await ok('suspend', 'acme', '--reason', 'invoice unpaid', '--yes', ...at(4));
    await ok('resume', 'acme', ...at(5));
    await rotationsSettled(world.endpoint);
    await ok('rollback', 'acme', ...at(6));
    await ok('apply', ...at(40));
    const [plan] = await createPlans(world.raw().apigw, ['bronze']);
    const onboard = await keyrot('onboard', 'bob', '--plan', plan!, ...at(41));
    expect(onboard.code).not.toBe(0);
    expect(onboard.stderr).toContain('is not authorized to perform');
  });

  it('onboard: a new credential in its plan, its secret under the stack key; suspend is refused', async () => {
    const { world } = await deployedWorld(emulator.endpoint(), DEPLOYED_30D, ['acme']);
    const keyrot = await operator(world, 'OperatorOnboard');
    const [plan] = await createPlans(world.raw().apigw, ['bronze']);
    const onboard = await keyrot('onboard', 'bob', '--plan', plan!, ...at(1));
    expect(onboard.code, onboard.stderr).toBe(0);
    const suspend = await keyrot('suspend', 'acme', '--reason', 'x', '--yes', ...at(2));
    expect(suspend.code).not.toBe(0);
    expect(suspend.stderr).toContain('is not authorized to perform');
  });
});
