import { App, Duration, Validations, type AppProps } from 'aws-cdk-lib/core';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import * as z from 'zod';
import type { ApiKeyRotationProps, KeyrotSettings } from './api-key-rotation.js';
import { KeyrotStack } from './keyrot-stack.js';

/** A context value given with -c key=value arrives as a string: JSON objects and arrays are parsed. */
const json = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => {
    if (typeof value !== 'string' || !/^\s*[[{]/.test(value)) return value;
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return value;
    }
  }, schema);
const int = z.coerce.number().int();
const RETENTION_DAYS = Object.values(logs.RetentionDays).filter((v): v is number => typeof v === 'number');

/** The settings cdk.json (or -c) may hold; anything else under keyrot: is a typo and fails synth. */
const ContextSchema = z.object({
  stackName: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9-]{0,127}$/, 'a CloudFormation stack name')
    .default('Keyrot'),
  'keyrot:config': json(z.record(z.string(), z.unknown())).optional(),
  'keyrot:alarmEmail': z.string().optional(),
  'keyrot:consumers': json(
    z.array(z.object({ credential: z.string(), principalArn: z.string() }).strict()),
  ).optional(),
  'keyrot:timeZone': z.string().optional(),
  'keyrot:runbookBaseUrl': z.string().optional(),
  'keyrot:schedule': json(
    z
      .object({
        hour: int.optional(),
        minute: int.optional(),
        flexibleWindowMinutes: int.optional(),
        retryAttempts: int.optional(),
        enabled: z.boolean().optional(),
      })
      .strict(),
  ).optional(),
  'keyrot:reportBucket': json(
    z
      .object({
        retentionDays: int.optional(),
        lockMode: z.enum(['GOVERNANCE', 'COMPLIANCE']).optional(),
        breakGlassRoleArn: z.string().optional(),
        accessLogRetentionDays: int.optional(),
        // Every report replicated to the organization's central history (docs/organization.md).
        replication: z
          .object({
            destinationBucketArn: z.string(),
            destinationAccount: z.coerce.string(),
            destinationKmsKeyArn: z.string().optional(),
          })
          .strict()
          .optional(),
      })
      .strict(),
  ).optional(),
  'keyrot:alarms': json(
    z.object({ quotaUsedPercent: z.coerce.number().optional(), namePrefix: z.string().optional() }).strict(),
  ).optional(),
  'keyrot:logRetentionDays': int
    .refine(
      (days) => RETENTION_DAYS.includes(days),
      `one of CloudWatch Logs' retentions (${RETENTION_DAYS.join(', ')})`,
    )
    .optional(),
});
const KNOWN = new Set(Object.keys(ContextSchema.shape));

/** Reads the app's settings from its context; an error names the context key and what it expects. */
export function propsFromContext(app: App): { stackName: string; rotation: ApiKeyRotationProps } {
  const raw: Record<string, unknown> = {};
  const unknown: string[] = [];
  for (const key of [...KNOWN, ...Object.keys(app.node.getAllContext())]) {
    const value = app.node.tryGetContext(key) as unknown;
    if (value === undefined) continue;
    if (KNOWN.has(key)) raw[key] = value;
    else if (key.startsWith('keyrot:')) unknown.push(key);
  }
  const problems = unknown.map((key) => `${key}: not a keyrot setting (${[...KNOWN].join(', ')})`);
  const parsed = ContextSchema.safeParse(raw);
  if (!parsed.success) {
    problems.push(...parsed.error.issues.map((i) => `${i.path.map(String).join('.')}: ${i.message}`));
  }
  if (problems.length > 0 || !parsed.success) {
    throw new Error(`cdk.json context is invalid: ${problems.join('; ')}`);
  }
  const c = parsed.data;
  const schedule = c['keyrot:schedule'];
  return {
    stackName: c.stackName,
    rotation: {
      // The construct validates it with the functions' schema.
      config: c['keyrot:config'] as KeyrotSettings | undefined,
      alarmEmail: c['keyrot:alarmEmail'],
      runbookBaseUrl: c['keyrot:runbookBaseUrl'],
      consumers: c['keyrot:consumers'],
      schedule: {
        timeZone: c['keyrot:timeZone'],
        hour: schedule?.hour,
        minute: schedule?.minute,
        flexibleWindow:
          schedule?.flexibleWindowMinutes === undefined
            ? undefined
            : Duration.minutes(schedule.flexibleWindowMinutes),
        retryAttempts: schedule?.retryAttempts,
        enabled: schedule?.enabled,
      },
      reportBucket: c['keyrot:reportBucket'],
      alarms: c['keyrot:alarms'],
      logRetention: c['keyrot:logRetentionDays'] as logs.RetentionDays | undefined,
    },
  };
}

export interface CreateAppOptions extends AppProps {
  /** Run cdk-nag's AwsSolutions checks at synth (the app always does). @default true */
  readonly nag?: boolean;
}

/** The CDK app of infra/app.ts: one KeyrotStack from context, checked by cdk-nag. */
export function createApp(options: CreateAppOptions = {}): { app: App; stack: KeyrotStack } {
  const app = new App(options);
  const { stackName, rotation } = propsFromContext(app);
  const stack = new KeyrotStack(app, stackName, {
    description: 'keyrot: scheduled rotation and hygiene of API Gateway API keys',
    rotation,
  });
  if (options.nag !== false) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}
