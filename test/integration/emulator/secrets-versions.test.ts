/**
 * (g) GetSecretValue of RotateSecret's value-less version is ResourceNotFoundException;
 * (h) PutSecretValue with the token of an existing version fills a placeholder, repeats idempotently,
 *     and refuses to change a value;
 * (j) after UpdateSecretVersionStage, GetSecretValue without VersionStage reads the AWSCURRENT version.
 */
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
  RotateSecretCommand,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { caught, secretsAccount } from './helpers.js';

const { secrets } = secretsAccount();
let n = 0;

async function newSecret(value = 'one'): Promise<{ arn: string; v1: string }> {
  n += 1;
  const out = await secrets.send(new CreateSecretCommand({ Name: `emu/versions-${n}`, SecretString: value }));
  return { arn: out.ARN ?? '', v1: out.VersionId ?? '' };
}
async function startRotation(arn: string): Promise<string> {
  const token = randomUUID();
  await secrets.send(new RotateSecretCommand({ SecretId: arn, ClientRequestToken: token }));
  return token;
}
const stagesOf = async (arn: string) =>
  (await secrets.send(new DescribeSecretCommand({ SecretId: arn }))).VersionIdsToStages;
const read = (arn: string, input: { VersionId?: string; VersionStage?: string } = {}) =>
  secrets.send(new GetSecretValueCommand({ SecretId: arn, ...input }));

describe('(g) GetSecretValue of a version without a value', () => {
  it('by VersionId or by VersionStage AWSPENDING is ResourceNotFoundException; AWSCURRENT still reads', async () => {
    const { arn, v1 } = await newSecret();
    const token = await startRotation(arn);
    for (const [input, label] of [
      [{ VersionId: token }, `VersionId: ${token}`],
      [{ VersionStage: 'AWSPENDING' }, 'staging label: AWSPENDING'],
      [{ VersionId: token, VersionStage: 'AWSPENDING' }, `VersionId: ${token}`],
    ] as const) {
      const error = await caught(read(arn, input));
      expect(error?.name).toBe('ResourceNotFoundException');
      expect(error?.message).toBe(`Secrets Manager can't find the specified secret value for ${label}`);
    }
    const current = await read(arn, { VersionStage: 'AWSCURRENT' });
    expect([current.VersionId, current.SecretString]).toEqual([v1, 'one']);
  });
});

describe('(h) PutSecretValue with the ClientRequestToken of an existing version', () => {
  it('fills the placeholder with VersionStages AWSPENDING, leaving AWSCURRENT where it was', async () => {
    const { arn, v1 } = await newSecret();
    const token = await startRotation(arn);
    const put = await secrets.send(
      new PutSecretValueCommand({
        SecretId: arn,
        ClientRequestToken: token,
        SecretString: 'two',
        VersionStages: ['AWSPENDING'],
      }),
    );
    expect([put.VersionId, put.VersionStages]).toEqual([token, ['AWSPENDING']]);
    expect(await stagesOf(arn)).toEqual({ [v1]: ['AWSCURRENT'], [token]: ['AWSPENDING'] });
    const pending = await read(arn, { VersionStage: 'AWSPENDING' });
    expect([pending.VersionId, pending.SecretString]).toEqual([token, 'two']);
    expect((await read(arn)).SecretString).toBe('one');
  });

  it('the same value again succeeds and changes nothing; another value is ResourceExistsException', async () => {
    const { arn, v1 } = await newSecret();
    const token = await startRotation(arn);
    const put = (SecretString: string) =>
      secrets.send(
        new PutSecretValueCommand({
          SecretId: arn,
          ClientRequestToken: token,
          SecretString,
          VersionStages: ['AWSPENDING'],
        }),
      );
    await put('two');
    const again = await put('two');
    expect(again.VersionId).toBe(token);
    const error = await caught(put('three'));
    expect(error?.name).toBe('ResourceExistsException');
    expect((await read(arn, { VersionId: token })).SecretString).toBe('two');
    expect(await stagesOf(arn)).toEqual({ [v1]: ['AWSCURRENT'], [token]: ['AWSPENDING'] });
  });

  it('a version that had a value from the start (CreateSecret) can be repeated but not changed either', async () => {
    const { arn, v1 } = await newSecret('original');
    const same = await secrets.send(
      new PutSecretValueCommand({ SecretId: arn, ClientRequestToken: v1, SecretString: 'original' }),
    );
    expect(same.VersionId).toBe(v1);
    const error = await caught(
      secrets.send(
        new PutSecretValueCommand({ SecretId: arn, ClientRequestToken: v1, SecretString: 'changed' }),
      ),
    );
    expect(error?.name).toBe('ResourceExistsException');
    expect((await read(arn)).SecretString).toBe('original');
  });

  it('without VersionStages the placeholder becomes AWSCURRENT and the old current AWSPREVIOUS', async () => {
    const { arn, v1 } = await newSecret();
    const token = await startRotation(arn);
    await secrets.send(
      new PutSecretValueCommand({ SecretId: arn, ClientRequestToken: token, SecretString: 'two' }),
    );
    expect(await stagesOf(arn)).toEqual({ [v1]: ['AWSPREVIOUS'], [token]: ['AWSPENDING', 'AWSCURRENT'] });
    expect((await read(arn)).SecretString).toBe('two');
  });
});

describe('(j) the version GetSecretValue reads by default', () => {
  it('follows AWSCURRENT through UpdateSecretVersionStage, forth and back', async () => {
    const { arn, v1 } = await newSecret('one');
    const token = await startRotation(arn);
    await secrets.send(
      new PutSecretValueCommand({
        SecretId: arn,
        ClientRequestToken: token,
        SecretString: 'two',
        VersionStages: ['AWSPENDING'],
      }),
    );
    const move = (to: string, from: string) =>
      secrets.send(
        new UpdateSecretVersionStageCommand({
          SecretId: arn,
          VersionStage: 'AWSCURRENT',
          MoveToVersionId: to,
          RemoveFromVersionId: from,
        }),
      );
    await move(token, v1);
    let current = await read(arn);
    expect([current.VersionId, current.SecretString, current.VersionStages]).toEqual([
      token,
      'two',
      ['AWSPENDING', 'AWSCURRENT'],
    ]);
    await move(v1, token);
    current = await read(arn);
    expect([current.VersionId, current.SecretString]).toEqual([v1, 'one']);
    expect((await read(arn, { VersionStage: 'AWSPREVIOUS' })).VersionId).toBe(token);
  });

  it('moving a label another version carries needs RemoveFromVersionId naming it (InvalidParameterException)', async () => {
    const { arn, v1 } = await newSecret();
    const pending = await startRotation(arn);
    const error = await caught(
      secrets.send(
        new UpdateSecretVersionStageCommand({
          SecretId: arn,
          VersionStage: 'AWSPENDING',
          MoveToVersionId: v1,
        }),
      ),
    );
    expect(error?.name).toBe('InvalidParameterException');
    expect(await stagesOf(arn)).toEqual({ [v1]: ['AWSCURRENT'], [pending]: ['AWSPENDING'] });
    // Naming it works, and leaves the label on one version only.
    await secrets.send(
      new UpdateSecretVersionStageCommand({
        SecretId: arn,
        VersionStage: 'AWSPENDING',
        MoveToVersionId: v1,
        RemoveFromVersionId: pending,
      }),
    );
    // DescribeSecret lists only versions that carry a label: the pending one is gone from it.
    expect(await stagesOf(arn)).toEqual({ [v1]: ['AWSCURRENT', 'AWSPENDING'] });
  });

  it('moving a label onto the version that already carries it changes nothing', async () => {
    const { arn, v1 } = await newSecret();
    await secrets.send(
      new UpdateSecretVersionStageCommand({
        SecretId: arn,
        VersionStage: 'AWSCURRENT',
        MoveToVersionId: v1,
        RemoveFromVersionId: v1,
      }),
    );
    expect(await stagesOf(arn)).toEqual({ [v1]: ['AWSCURRENT'] });
    expect((await read(arn)).VersionId).toBe(v1);
  });
});

describe('ListSecretVersionIds, as the reference describes it', () => {
  it("each version's own CreatedDate; versions without a label only with IncludeDeprecated; no empty NextToken", async () => {
    const { arn, v1 } = await newSecret();
    const created = (await secrets.send(new ListSecretVersionIdsCommand({ SecretId: arn }))).Versions?.[0]
      ?.CreatedDate;
    await new Promise((r) => setTimeout(r, 1100));
    const pending = await startRotation(arn);
    // The pending version loses its label: it is deprecated.
    await secrets.send(
      new UpdateSecretVersionStageCommand({
        SecretId: arn,
        VersionStage: 'AWSPENDING',
        RemoveFromVersionId: pending,
      }),
    );
    const listed = await secrets.send(new ListSecretVersionIdsCommand({ SecretId: arn }));
    expect(listed.Versions?.map((v) => v.VersionId)).toEqual([v1]);
    expect(listed.Versions?.[0]?.CreatedDate).toEqual(created);
    expect(listed.NextToken).toBeUndefined();
    const all = await secrets.send(
      new ListSecretVersionIdsCommand({ SecretId: arn, IncludeDeprecated: true }),
    );
    expect(all.Versions?.map((v) => v.VersionId).sort()).toEqual([v1, pending].sort());
    const pendingCreated = all.Versions?.find((v) => v.VersionId === pending)?.CreatedDate;
    expect(pendingCreated!.getTime()).toBeGreaterThan(created!.getTime());
  });
});
