import * as z from 'zod';
import { HygieneSchema, type ExemptibleCheck } from './checks/registry.js';

/** One rotation policy: how often a credential rotates and how its old keys retire. */
export const PolicySchema = z
  .object({
    periodDays: z.union([z.literal(30), z.literal(60), z.literal(90)], {
      error: 'periodDays must be 30, 60 or 90',
    }),
    graceDays: z.number().int().min(0).max(30),
    disableWindowDays: z.number().int().min(1).max(90),
    /**
     * How long past its grace a superseded key's retirement may wait for consumers still using it;
     * then it is disabled anyway (a leaked old key must not be kept alive by whoever uses it).
     */
    retirementDelayDays: z.number().int().min(0).max(30).default(7),
  })
  .strict();
export type Policy = z.infer<typeof PolicySchema>;

export type Hygiene = z.infer<typeof HygieneSchema>;
/** A check a key's exemption tag may name. */
export type HygieneCheck = ExemptibleCheck;

/**
 * How keyrot shares the account's API Gateway and Secrets Manager quotas. API Gateway's shared budget
 * (10 requests/s for every call without a quota of its own) also serves the account's deployments, so
 * keyrot takes at most `apiGatewayShare` of it, across the reconciler and every rotation function
 * container: the reconciler paces its own calls to that share and admits each rotation it starts only
 * when the share has room for the calls that rotation will make (its plans, known from the
 * inventory). A rotation function container paces to the share on its own too (a rotation Secrets
 * Manager starts on its schedule was admitted by no one). No reserved concurrency: small accounts
 * refuse it.
 */
const PacingSchema = z
  .object({
    /** Below 1 leaves room for other tools in the account; above 1 only where quotas were raised. */
    quotaScale: z.number().positive().max(100).default(1),
    /** Of API Gateway's shared 10 requests/s, the part keyrot uses; the rest is left to deployments. */
    apiGatewayShare: z.number().gt(0).max(1).default(0.6),
    /** Rotations the reconciler keeps going at once: enough to cover a rotation's latency. */
    rotationsInFlight: z.number().int().min(1).max(100).default(8),
    /** How long a run waits for the run lease another run holds (leaseBucket) before it gives up. */
    leaseWaitSeconds: z.number().int().min(0).max(3600).default(600),
  })
  .strict();

/**
 * Security Hub findings (docs/security-hub.md): opt-in. Each run imports its findings into the account's
 * default product (BatchImportFindings) and archives those that no longer hold.
 */
const SecurityHubSchema = z
  .object({
    enabled: z.boolean({ error: 'must be true or false' }).default(false),
    /** Where the runbooks are published (https://.../runbooks/): each finding's remediation links there. */
    runbookBaseUrl: z
      .url({ protocol: /^https?$/, error: 'runbookBaseUrl must be an http(s) URL' })
      .refine((url) => url.endsWith('/'), 'runbookBaseUrl must end with / (the runbooks folder)')
      .optional(),
  })
  .strict();

const policyName = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'a policy name is 1-64 of A-Z a-z 0-9 _ . -');

export const ConfigSchema = z
  .object({
    /** Prefix of every tag this service reads or writes on API keys and secrets. */
    tagPrefix: z
      .string()
      .regex(/^[A-Za-z0-9_.:/=+@-]{1,40}$/, 'tagPrefix uses tag characters only, at most 40')
      .default('rotation:'),
    /** Name prefix of the credentials' secrets in Secrets Manager. */
    secretPrefix: z
      .string()
      .regex(/^[A-Za-z0-9/_+=.@-]{1,200}$/, 'secretPrefix uses secret-name characters only')
      .default('keyrot/'),
    defaultPolicy: policyName.default('90d'),
    policies: z.record(policyName, PolicySchema).prefault({
      '30d': { periodDays: 30, graceDays: 7, disableWindowDays: 14 },
      '60d': { periodDays: 60, graceDays: 7, disableWindowDays: 14 },
      '90d': { periodDays: 90, graceDays: 14, disableWindowDays: 30 },
    }),
    metricNamespace: z.string().min(1).max(255).default('KeyRotation'),
    /** EventBridge bus for rotation, retirement and finding events; null turns events off. */
    eventBusName: z.string().min(1).max(256).nullable().default('default'),
    /** The rotation Lambda's ARN, given to RotateSecret; absent: the secret's configured one. */
    rotationLambdaArn: z.string().startsWith('arn:').optional(),
    /**
     * The bucket of the run lease (the stack's LeaseBucketName): one keyrot run at a time spends API
     * Gateway's share, whether the schedule or an operator started it. Absent: runs do not coordinate.
     */
    leaseBucket: z
      .string()
      .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name (3-63 of a-z 0-9 . -)')
      .optional(),
    /**
     * A first rotation comes up to this share of the period early, by a fixed amount per credential,
     * so keys onboarded or adopted together don't all come due on one day. Later rotations keep the period.
     */
    staggerPercent: z.number().int().min(0).max(50).default(20),
    /** KMS key for the credentials' secrets (so consumers in other accounts can be granted decrypt). */
    secretKmsKeyId: z.string().min(1).optional(),
    /**
     * Roles of other accounts that may read a credential's secret (credential name to role ARNs): the
     * reconciler keeps each secret's resource policy to exactly these. The stack sets it from
     * keyrot:consumers; a consumer also needs the secrets' KMS key (secretKmsKeyId), which the stack grants.
     */
    consumers: z
      .record(
        z.string().min(1),
        z.array(
          z
            .string()
            .regex(
              /^arn:aws[\w-]*:iam::\d{12}:role\/.+$/,
              'an IAM role ARN (arn:aws:iam::ACCOUNT:role/NAME)',
            ),
        ),
      )
      .default({}),
    /**
     * The other regions this stack's credentials may live in (docs/multi-region.md): a credential whose
     * secret has a replica in one of them gets its key there too, rotated with the home region's. The
     * stack grants its functions API Gateway in these regions only (keyrot:replicaRegions).
     */
    replicaRegions: z
      .array(z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'an AWS region name, such as eu-west-1'))
      .default([]),
    /** A URL that answers 2xx to a request carrying a working key in x-api-key. */
    canaryUrl: z.url().optional(),
    /** canaryUrl of each replica region: testSecret proves the new key there too before it is current. */
    replicaCanaryUrls: z.record(z.string(), z.url()).default({}),
    hygiene: HygieneSchema.prefault({}),
    pacing: PacingSchema.prefault({}),
    securityHub: SecurityHubSchema.prefault({}),
  })
  .strict()
  .superRefine((config, ctx) => {
    if (!(config.defaultPolicy in config.policies)) {
      ctx.addIssue({
        code: 'custom',
        path: ['defaultPolicy'],
        message: `defaultPolicy "${config.defaultPolicy}" is not one of the policies (${Object.keys(config.policies).join(', ')})`,
      });
    }
    for (const region of Object.keys(config.replicaCanaryUrls)) {
      if (!config.replicaRegions.includes(region)) {
        ctx.addIssue({
          code: 'custom',
          path: ['replicaCanaryUrls', region],
          message: `${region} is not one of replicaRegions (${config.replicaRegions.join(', ') || 'none'})`,
        });
      }
    }
  });
export type Config = z.infer<typeof ConfigSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Validates raw configuration; the error names every field that is wrong and what it expects. */
export function parseConfig(raw: unknown, source = 'config'): Config {
  const result = ConfigSchema.safeParse(raw ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const field = issue.path.length > 0 ? issue.path.join('.') : '(root)';
    return `${field}: ${issue.message}`;
  });
  throw new ConfigError(`${source} is invalid: ${problems.join('; ')}`);
}

export const defaultConfig = (): Config => parseConfig({});
