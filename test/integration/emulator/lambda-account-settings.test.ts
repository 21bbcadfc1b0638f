import { GetAccountSettingsCommand, PutFunctionConcurrencyCommand } from '@aws-sdk/client-lambda';
import { describe, expect, it } from 'vitest';
import { World } from '../../support/world.js';

/**
 * The emulator's GetAccountSettings (keyrot_moto/lambda_account.py), read against the API reference:
 * AccountLimit.ConcurrentExecutions is the account's quota (1,000 by default), and
 * UnreservedConcurrentExecutions that quota minus the functions' reserved concurrency.
 */
describe('Lambda GetAccountSettings on the emulator', () => {
  it("gives the account's concurrency quota, less what its functions reserve, and counts its functions", async () => {
    const world = new World();
    const { lambda } = world.clients();
    const fresh = await lambda.send(new GetAccountSettingsCommand({}));
    expect(fresh.AccountLimit).toMatchObject({
      ConcurrentExecutions: 1000,
      UnreservedConcurrentExecutions: 1000,
    });
    expect(fresh.AccountUsage?.FunctionCount).toBe(0);
    const deployment = await world.deploy();
    await lambda.send(
      new PutFunctionConcurrencyCommand({
        FunctionName: deployment.reconciler.name,
        ReservedConcurrentExecutions: 3,
      }),
    );
    const after = await lambda.send(new GetAccountSettingsCommand({}));
    expect(after.AccountLimit).toMatchObject({
      ConcurrentExecutions: 1000,
      UnreservedConcurrentExecutions: 997,
    });
    expect(after.AccountUsage?.FunctionCount).toBe(2);
  }, 120_000);

  it('deploying again into the same account updates the functions (the roles exist already: EntityAlreadyExistsException)', async () => {
    const world = new World();
    const { lambda } = world.clients();
    const first = await world.deploy();
    const again = await world.deploy();
    expect(again.reconciler.arn).toBe(first.reconciler.arn);
    expect((await lambda.send(new GetAccountSettingsCommand({}))).AccountUsage?.FunctionCount).toBe(2);
  }, 120_000);
});
