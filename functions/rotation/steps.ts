import { CreateApiKeyCommand, type APIGatewayClient, type ApiKey } from '@aws-sdk/client-api-gateway';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  UpdateSecretVersionStageCommand,
  type DescribeSecretResponse,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { Logger } from '@aws-lambda-powertools/logger';
import { isAwsError, RotationStepError } from '../commons/errors.js';
import {
  attachKey,
  findManagedKey,
  getKey,
  keysOfCredential,
  plansOfKey,
  usagePlanExists,
} from '../aws/api-keys.js';
import { tagSecret } from '../aws/rotation-record.js';
import type { Config } from '../core/config.js';
import { secretCredential } from '../core/credentials.js';
import { TAG, tagName, creationTags, parseGenerationTag } from '../core/tags.js';
import {
  identityOf,
  activationsTag,
  newKeyTag,
  readFacts,
  readNewKey,
  readRegionKeys,
  regionKeysTag,
  type KeyIdentity,
  type RotationFacts,
} from '../core/rotation-record.js';
import { regionalClients, replicaRegionsOf, waitForReplicas, type RegionalApis } from './regions.js';
import {
  formatSecretValue,
  generateKeyValue,
  keyNameFor,
  parseSecretValue,
  type SecretValue,
} from './secret-value.js';
import { labelledVersions, STAGE } from '../core/stages.js';
import { standingSuspension } from '../core/suspension.js';
import { ownedKeysTag, readOwnedKeys } from '../core/ownership.js';
import { disableKey } from '../aws/key-state.js';

export const ROTATION_STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
export type RotationStep = (typeof ROTATION_STEPS)[number];

/** The event Secrets Manager sends the rotation function. */
export interface RotationEvent {
  Step: RotationStep;
  SecretId: string;
  ClientRequestToken: string;
}

export interface RotationDeps {
  apigw: APIGatewayClient;
  secrets: SecretsManagerClient;
  config: Config;
  now: () => Date;
  log: Logger;
  /** Sends one request with the new key to the canary URL; throws when it is refused. */
  canary?: ((value: string) => Promise<void>) | undefined;
  generateValue?: () => string;
  /** API Gateway of the credential's other regions (its secret's replicas); absent: one region only. */
  regionalApis?: RegionalApis | undefined;
  /** The canary of another region (config replicaCanaryUrls); undefined where none is configured. */
  canaryIn?: ((region: string) => ((value: string) => Promise<void>) | undefined) | undefined;
}

/** The highest generation of the credential's keys (a rollback can leave a newer one than the current). */
async function highestGeneration(
  apigw: APIGatewayClient,
  credential: string,
  prefix: string,
  current: ApiKey,
): Promise<number> {
  // The planner reports a malformed generation tag; here it counts as the first generation.
  const generationOf = (key: ApiKey) => {
    const parsed = parseGenerationTag(key.tags ?? {}, tagName(prefix, TAG.generation), key.id ?? '');
    return (parsed.ok ? parsed.value : undefined) ?? 1;
  };
  const keys = await keysOfCredential(apigw, keyNameFor(credential, ''), {
    name: tagName(prefix, TAG.credential),
    value: credential,
  });
  return Math.max(generationOf(current), ...keys.map(generationOf));
}

/** One step of the Secrets Manager rotation contract; every step is idempotent for its token. */
export async function runRotationStep(event: RotationEvent, deps: RotationDeps): Promise<void> {
  const { Step: step, SecretId: secretId, ClientRequestToken: token } = event;
  if (!ROTATION_STEPS.includes(step))
    throw new RotationStepError(`unknown rotation step ${JSON.stringify(step)}`);
  const secret = await deps.secrets.send(new DescribeSecretCommand({ SecretId: secretId }));
  const name = secret.Name ?? secretId;
  if (secret.RotationEnabled !== true)
    throw new RotationStepError(`secret ${name} is not enabled for rotation`);
  const stages = secret.VersionIdsToStages?.[token];
  if (stages === undefined) {
    throw new RotationStepError(`secret version ${token} has no stage for rotation of secret ${name}`);
  }
  if (stages.includes(STAGE.current)) {
    deps.log.info('rotation step skipped: version already AWSCURRENT', {
      step,
      secret: name,
      version: token,
    });
    return;
  }
  if (!stages.includes(STAGE.pending)) {
    throw new RotationStepError(
      `secret version ${token} of ${name} is not AWSPENDING; rotation cannot continue`,
    );
  }
  const context = new StepContext(secret, token, deps);
  deps.log.info('rotation step', { step, secret: name, credential: context.credential, version: token });
  await STEPS[step](context);
}

class StepContext {
  readonly name: string;
  readonly credential: string;
  readonly currentVersion: string;
  readonly tags: Record<string, string>;
  /** What the reconciler recorded for this rotation before starting it; absent on Secrets Manager's schedule. */
  readonly facts: RotationFacts | undefined;
  /** The new key setSecret recorded once it was in every plan: its answers proved that. */
  readonly recordedKey: { id: string; generation: number } | undefined;
  /** API Gateway of each other region the credential lives in (its secret's replicas). */
  readonly regions: Map<string, APIGatewayClient>;
  /** The new key of each other region, as setSecret recorded them with recordedKey. */
  readonly recordedRegionKeys: Map<string, string>;

  constructor(
    readonly secret: DescribeSecretResponse,
    readonly token: string,
    readonly deps: RotationDeps,
  ) {
    this.name = secret.Name ?? '';
    this.tags = Object.fromEntries((secret.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
    const credential = secretCredential({ name: this.name, tags: this.tags }, deps.config);
    if (credential === undefined) {
      throw new RotationStepError(
        `secret ${this.name} has neither the ${tagName(deps.config.tagPrefix, TAG.credential)} tag nor the ${deps.config.secretPrefix} name prefix`,
      );
    }
    this.credential = credential;
    const { current } = labelledVersions(secret.VersionIdsToStages);
    if (current === undefined) throw new RotationStepError(`secret ${this.name} has no AWSCURRENT version`);
    this.currentVersion = current;
    const prefix = deps.config.tagPrefix;
    this.facts = readFacts(prefix, this.tags, token);
    this.recordedKey = readNewKey(prefix, this.tags, token);
    this.recordedRegionKeys = readRegionKeys(prefix, this.tags, token);
    this.regions = regionalClients(
      credential,
      this.name,
      replicaRegionsOf(secret),
      deps.config.replicaRegions,
      deps.regionalApis,
    );
  }

  get newKeyName(): string {
    return keyNameFor(this.credential, this.token);
  }

  async value(versionId: string, stage: string): Promise<SecretValue | undefined> {
    try {
      const out = await this.deps.secrets.send(
        new GetSecretValueCommand({ SecretId: this.secret.ARN, VersionId: versionId, VersionStage: stage }),
      );
      return parseSecretValue(out.SecretString, this.name, versionId);
    } catch (error) {
      if (isAwsError(error, 'ResourceNotFoundException')) return undefined;
      throw error;
    }
  }

  async pendingValue(): Promise<SecretValue> {
    const value = await this.value(this.token, STAGE.pending);
    if (value === undefined) {
      throw new RotationStepError(
        `secret ${this.name} version ${this.token} has no AWSPENDING value; run createSecret first`,
      );
    }
    return value;
  }

  private current: Promise<ApiKey> | undefined;
  private currentValueRead: Promise<SecretValue | undefined> | undefined;

  /** AWSCURRENT's value (read once per step: createSecret and the current key's lookup both need it). */
  currentValue(): Promise<SecretValue | undefined> {
    this.currentValueRead ??= this.value(this.currentVersion, STAGE.current);
    return this.currentValueRead;
  }

  /** The key AWSCURRENT names (read once per step). */
  currentKey(): Promise<ApiKey> {
    this.current ??= this.readCurrentKey();
    return this.current;
  }

  /** By the id an adopted key's secret records, else by its derived name. */
  private async readCurrentKey(): Promise<ApiKey> {
    const current = await this.currentValue();
    if (current === undefined) throw new RotationStepError(`secret ${this.name} has no AWSCURRENT value`);
    const key =
      current.apiKeyId !== undefined
        ? await getKey(this.deps.apigw, current.apiKeyId)
        : await this.findKey(keyNameFor(this.credential, this.currentVersion), this.currentVersion);
    if (key?.id === undefined) {
      throw new RotationStepError(
        `credential ${this.credential}: the API key of AWSCURRENT version ${this.currentVersion} of ${this.name} does not exist`,
      );
    }
    return key;
  }

  /**
   * The rotation's facts: as the reconciler recorded them, else (Secrets Manager's own schedule, or a
   * rotation started by hand) looked up in API Gateway: the current key, its plans, the generations.
   */
  async rotationFacts(): Promise<RotationFacts> {
    if (this.facts !== undefined) return this.facts;
    const { apigw, config } = this.deps;
    const current = await this.currentKey();
    const [planIds, highest] = await Promise.all([
      plansOfKey(apigw, current.id ?? ''),
      highestGeneration(apigw, this.credential, config.tagPrefix, current),
    ]);
    return {
      token: this.token,
      generation: highest + 1,
      currentKeyId: current.id ?? '',
      policy: current.tags?.[tagName(config.tagPrefix, TAG.policy)],
      planIds,
      identity: identityOf(current),
    };
  }

  /**
   * A rotation nobody at keyrot decided (Secrets Manager's schedule, or one started by hand: no facts
   * recorded for its token) must not give a cut-off consumer a working key: refused while the
   * credential is suspended or its current key is disabled. Its AWSPENDING label goes, so no rotation
   * stays "in progress" (Secrets Manager would retry it forever, and resume would wait for it).
   */
  async refuseWhenCutOff(): Promise<void> {
    if (this.facts !== undefined) return;
    const { config } = this.deps;
    const suspension = standingSuspension(config.tagPrefix, this, this.credential, this.currentVersion);
    let why: string | undefined;
    if (suspension !== undefined) {
      why = `it is suspended since ${suspension.since.toISOString()} (${suspension.reason})`;
    } else {
      const key = await this.currentKey();
      if (key.enabled === false)
        why = `its current key ${key.id ?? '?'} is disabled (its consumer was cut off outside keyrot)`;
    }
    if (why === undefined) return;
    await this.abandon();
    throw new RotationStepError(
      `credential ${this.credential}: rotation to version ${this.token} refused: ${why}, and a rotation would give its consumer a working key; only keyrot resume ${this.credential} or keyrot rotate ${this.credential} does that (runbooks/suspend-and-resume.md)`,
    );
  }

  /** Drops this rotation's AWSPENDING label: no rotation stays in progress, the next one starts afresh. */
  abandon(): Promise<unknown> {
    return this.deps.secrets.send(
      new UpdateSecretVersionStageCommand({
        SecretId: this.secret.ARN,
        VersionStage: STAGE.pending,
        RemoveFromVersionId: this.token,
      }),
    );
  }

  /** A key of this credential by its derived name, or by its tags when it was renamed by hand. */
  findKey(name: string, version: string, apigw = this.deps.apigw): Promise<ApiKey | undefined> {
    const { tagPrefix } = this.deps.config;
    return findManagedKey(apigw, name, {
      [tagName(tagPrefix, TAG.credential)]: this.credential,
      [tagName(tagPrefix, TAG.version)]: version,
    });
  }

  /** The new key as setSecret recorded it; without that record setSecret has not completed. */
  newKey(): { id: string; generation: number } {
    if (this.recordedKey === undefined) {
      throw new RotationStepError(
        `credential ${this.credential}: setSecret has not recorded the new key ${this.newKeyName} on ${this.name}; run setSecret first`,
      );
    }
    return this.recordedKey;
  }

  /**
   * Creates the new key with the pending value in one region's API Gateway: the same name, tags and
   * value in every region, so a retry anywhere finds its own key by name when the value conflicts.
   */
  async createNewKey(
    apigw: APIGatewayClient,
    value: string,
    facts: RotationFacts,
    identity: KeyIdentity | undefined,
  ): Promise<string> {
    const { config } = this.deps;
    let keyId: string | undefined;
    try {
      const created = await apigw.send(
        new CreateApiKeyCommand({
          name: this.newKeyName,
          description:
            identity?.description ?? `keyrot: credential ${this.credential}, generation ${facts.generation}`,
          ...(identity?.customerId !== undefined && { customerId: identity.customerId }),
          enabled: true,
          value,
          tags: creationTags(config.tagPrefix, {
            credential: this.credential,
            generation: facts.generation,
            version: this.token,
            createdAt: this.deps.now(),
            policy: facts.policy,
          }),
        }),
      );
      keyId = created.id;
    } catch (error) {
      if (!isAwsError(error, 'ConflictException')) throw error;
      // A key has this value: ours when an earlier attempt (or a lost answer's retry) created it.
      keyId = (await this.findKey(this.newKeyName, this.token, apigw))?.id;
      if (keyId === undefined) {
        // Another key has this value: drop the pending version so the next attempt draws a fresh one.
        await this.abandon();
        const where = apigw === this.deps.apigw ? '' : ` in ${await apigw.config.region()}`;
        throw new RotationStepError(
          `credential ${this.credential}: API Gateway${where} refused the new value as a duplicate; version ${this.token} was abandoned and the next rotation starts from a fresh value`,
        );
      }
    }
    if (keyId === undefined)
      throw new RotationStepError(`CreateApiKey for ${this.newKeyName} returned no id`);
    return keyId;
  }

  /** Puts the new key into each plan; a plan deleted since it was listed is skipped. */
  async attachToPlans(apigw: APIGatewayClient, keyId: string, planIds: readonly string[]): Promise<void> {
    for (const usagePlanId of planIds) {
      try {
        // Already attached (false): an earlier attempt got this far.
        await attachKey(apigw, usagePlanId, keyId);
      } catch (error) {
        if (isAwsError(error, 'NotFoundException') && !(await usagePlanExists(apigw, usagePlanId))) {
          this.deps.log.warn('usage plan deleted during the rotation; skipped', {
            credential: this.credential,
            usagePlanId,
            region: await apigw.config.region(),
          });
          continue;
        }
        throw error;
      }
    }
  }

  /**
   * The current key of another region: the key of AWSCURRENT's version there (same name and tags as
   * the home region's). Missing: consumers there have no working key, and the rotation must not
   * pretend otherwise.
   */
  async currentKeyIn(region: string, apigw: APIGatewayClient): Promise<ApiKey & { id: string }> {
    const name = keyNameFor(this.credential, this.currentVersion);
    const key = await this.findKey(name, this.currentVersion, apigw);
    if (key?.id === undefined) {
      throw new RotationStepError(
        `credential ${this.credential}: ${region} has no key of AWSCURRENT version ${this.currentVersion} of ${this.name} (named ${name}, or tagged with its credential and version); the rotation waits until that region has one (runbooks/multi-region.md)`,
      );
    }
    return { ...key, id: key.id };
  }

  tag(tags: Record<string, string>): Promise<void> {
    return tagSecret(this.deps.secrets, this.secret.ARN ?? this.name, tags);
  }
}

const STEPS: Record<RotationStep, (ctx: StepContext) => Promise<void>> = {
  /** Writes the new value as AWSPENDING before any key exists: the token is the write-ahead log. */
  async createSecret(ctx) {
    if ((await ctx.currentValue()) === undefined) {
      throw new RotationStepError(`secret ${ctx.name} has no AWSCURRENT value`);
    }
    await ctx.refuseWhenCutOff();
    if ((await ctx.value(ctx.token, STAGE.pending)) !== undefined) return;
    const apiKey = (ctx.deps.generateValue ?? generateKeyValue)();
    try {
      await ctx.deps.secrets.send(
        new PutSecretValueCommand({
          SecretId: ctx.secret.ARN,
          ClientRequestToken: ctx.token,
          SecretString: formatSecretValue({ credential: ctx.credential, apiKey }),
          VersionStages: [STAGE.pending],
        }),
      );
    } catch (error) {
      // The same step running at once elsewhere stored its value first: that one stands.
      if (
        !isAwsError(error, 'ResourceExistsException') ||
        (await ctx.value(ctx.token, STAGE.pending)) === undefined
      )
        throw error;
    }
  },

  /**
   * Creates the new key with the pending value and attaches it to every plan of the current key, then
   * records it on the secret. API Gateway's calls are the physical floor: CreateApiKey (its own quota)
   * and one CreateUsagePlanKey per plan; nothing is read there unless a retry or a missing record asks.
   */
  async setSecret(ctx) {
    if (ctx.recordedKey !== undefined) return;
    const { apigw, config } = ctx.deps;
    const pending = await ctx.pendingValue();
    // Suspended since createSecret ran: the key is not made.
    await ctx.refuseWhenCutOff();
    const facts = await ctx.rotationFacts();
    // The customer a portal or Marketplace issued the key to stays its customer (recorded, or read when
    // it was too long to record).
    const identity =
      facts.identity === 'lookup'
        ? identityOf((await getKey(apigw, facts.currentKeyId)) ?? {})
        : facts.identity;
    const keyId = await ctx.createNewKey(apigw, pending.apiKey, facts, identity);
    await ctx.attachToPlans(apigw, keyId, facts.planIds);
    // Every other region gets the same value in the plans its current key is in; a region that fails
    // fails the step before the record, so AWSCURRENT never names a value one region rejects.
    const regionKeys = new Map<string, string>();
    for (const [region, regional] of ctx.regions) {
      const current = await ctx.currentKeyIn(region, regional);
      const planIds = await plansOfKey(regional, current.id);
      const id = await ctx.createNewKey(regional, pending.apiKey, facts, identity);
      await ctx.attachToPlans(regional, id, planIds);
      regionKeys.set(region, id);
    }
    const regionRecord = regionKeys.size === 0 ? {} : regionKeysTag(config.tagPrefix, ctx.token, regionKeys);
    if (regionRecord === undefined) {
      throw new RotationStepError(
        `credential ${ctx.credential}: the new keys of ${[...regionKeys.keys()].join(', ')} do not fit one tag (256 characters); a credential spans at most 7 regions`,
      );
    }
    // Last: the record says the key exists, enabled (CreateApiKey's answer) and in every plan; in the
    // same write the credential comes to own it (a secret without a record is migrated by a run).
    const owned = readOwnedKeys(config.tagPrefix, ctx.tags);
    await ctx.tag({
      ...newKeyTag(config.tagPrefix, ctx.token, keyId, facts.generation),
      ...regionRecord,
      ...(owned !== undefined && ownedKeysTag(config.tagPrefix, owned, [keyId])),
    });
  },

  /**
   * The new key exists, is enabled and is in every plan of the current key: setSecret's answers proved
   * it and its record says so. When a canary URL is configured, a request with the new key must pass.
   */
  async testSecret(ctx) {
    // RotateSecret with RotateImmediately=false tests the configuration with a value-less version.
    const pending = await ctx.value(ctx.token, STAGE.pending);
    if (pending === undefined) {
      ctx.deps.log.info('rotation configuration test', { secret: ctx.name });
      return;
    }
    ctx.newKey();
    const missing = [...ctx.regions.keys()].filter((r) => !ctx.recordedRegionKeys.has(r));
    if (missing.length > 0) {
      throw new RotationStepError(
        `credential ${ctx.credential}: setSecret has not recorded the new key of ${missing.join(', ')} on ${ctx.name}; run setSecret first`,
      );
    }
    if (ctx.deps.canary !== undefined) await ctx.deps.canary(pending.apiKey);
    for (const region of ctx.regions.keys()) await ctx.deps.canaryIn?.(region)?.(pending.apiKey);
  },

  /** Records when the new key became current, then moves AWSCURRENT; the old key becomes AWSPREVIOUS. */
  async finishSecret(ctx) {
    const key = ctx.newKey();
    await ctx.tag(activationsTag(ctx.deps.config.tagPrefix, ctx.tags, key.generation, ctx.deps.now()));
    // A run finishing the same rotation at once may move the labels first: then that is done.
    const stagesNow = async () =>
      (await ctx.deps.secrets.send(new DescribeSecretCommand({ SecretId: ctx.secret.ARN })))
        .VersionIdsToStages?.[ctx.token] ?? [];
    try {
      await ctx.deps.secrets.send(
        new UpdateSecretVersionStageCommand({
          SecretId: ctx.secret.ARN,
          VersionStage: STAGE.current,
          MoveToVersionId: ctx.token,
          RemoveFromVersionId: ctx.currentVersion,
        }),
      );
    } catch (error) {
      if (!(await stagesNow()).includes(STAGE.current)) throw error;
    }
    // Done: no AWSPENDING left behind to be taken for a rotation in progress later (after a rollback).
    try {
      await ctx.deps.secrets.send(
        new UpdateSecretVersionStageCommand({
          SecretId: ctx.secret.ARN,
          VersionStage: STAGE.pending,
          RemoveFromVersionId: ctx.token,
        }),
      );
    } catch (error) {
      if ((await stagesNow()).includes(STAGE.pending)) throw error;
    }
    // An emergency with zero grace: the leaked key stops working now, not when a run next looks.
    const revoked = ctx.facts?.revoke === true ? ctx.facts.currentKeyId : undefined;
    if (revoked !== undefined && revoked !== key.id) {
      // Consumers of a replica read the new value only once it has replicated: revoked before, the
      // replica's AWSCURRENT would name a key no region accepts.
      if (ctx.regions.size > 0) await waitForReplicas(ctx.deps, ctx.secret.ARN ?? ctx.name, ctx.credential);
      await disableKey(ctx.deps.apigw, revoked, ctx.deps.config.tagPrefix, ctx.deps.now(), true);
      for (const [region, regional] of ctx.regions) {
        // A region without its old key has nothing to revoke.
        const name = keyNameFor(ctx.credential, ctx.currentVersion);
        const old = await ctx.findKey(name, ctx.currentVersion, regional);
        if (old?.id !== undefined && old.id !== ctx.recordedRegionKeys.get(region))
          await disableKey(regional, old.id, ctx.deps.config.tagPrefix, ctx.deps.now(), true);
      }
    }
    ctx.deps.log.info('rotation finished', {
      credential: ctx.credential,
      keyId: key.id,
      version: ctx.token,
      ...(revoked !== undefined && { revokedKeyId: revoked }),
    });
  },
};
