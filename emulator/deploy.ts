/**
 * Deploys the CDK app's Lambda functions into an emulator account, as CloudFormation would: the esbuild
 * bundle the app ships (`cdk synth` output, cached under .cache/bundles by the sources' hash), with the
 * template's handler, runtime, timeout, memory, concurrency, environment, dead-letter queue and log group
 * (intrinsics resolved against what this deployment created: a KMS key, buckets, the queue, the log groups),
 * an execution role, and the template's invoke permissions. The emulator then runs that bundle out of
 * process when Secrets Manager (or anyone) invokes the function.
 *
 * Test-only: KEYROT_IAM_DROP=<role>/<statement>[,...] leaves those statements out of the roles' policies
 * (scripts/iam-statement-removal.ts): <role> is the role's construct id (ReconcilerRole) or the role's
 * name here (keyrot-Reconciler-role-us-east-1), <statement> its Sid, or <policy name>#<index> for one without.
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  AttachRolePolicyCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  DeleteRolePolicyCommand,
  EntityAlreadyExistsException,
  IAMClient,
  NoSuchEntityException,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  PutRetentionPolicyCommand,
  ResourceAlreadyExistsException,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  AlreadyExistsException,
  CreateAliasCommand,
  CreateKeyCommand,
  KMSClient,
  PutKeyPolicyCommand,
  UpdateAliasCommand,
} from '@aws-sdk/client-kms';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import {
  AddPermissionCommand,
  CreateFunctionCommand,
  LambdaClient,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  type LoggingConfig,
  type Runtime,
} from '@aws-sdk/client-lambda';
import { zipSync } from 'fflate';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BUNDLES = join(ROOT, '.cache', 'bundles');
const TEMPLATES = join(ROOT, '.cache', 'templates');

interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
}
interface Template {
  Resources: Record<string, CfnResource>;
}

/** The construct path's last parts, e.g. "RotationFunction" for .../ApiKeyRotation/RotationFunction/Resource. */
function constructName(resource: CfnResource): string {
  const path = String(resource.Metadata?.['aws:cdk:path'] ?? '');
  // 'Resource' and 'Default' name a construct's main resource: the construct's own id names it.
  const parts = path.split('/').filter((p) => p !== 'Resource' && p !== 'Default');
  return parts.at(-1) ?? '';
}

let sourcesHashOfRun: string | undefined;

/** The hash of what the template and bundles are made of; the sources don't change during a run. */
function sourcesHash(): string {
  sourcesHashOfRun ??= hashSources();
  return sourcesHashOfRun;
}

function hashSources(): string {
  const hash = createHash('sha256');
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.(ts|json)$/.test(name)) hash.update(relative(ROOT, path)).update(readFileSync(path));
    }
  };
  walk(join(ROOT, 'functions'));
  walk(join(ROOT, 'infra'));
  for (const file of ['package-lock.json', 'cdk.json', 'tsconfig.json'])
    hash.update(readFileSync(join(ROOT, file)));
  return hash.digest('hex').slice(0, 16);
}

// One synth per configuration in a process: tests deploy the same app into many accounts.
const templates = new Map<string, Promise<Template>>();

/**
 * The template (without bundling) for this context: synthesized once per version of the sources and
 * configuration, kept under .cache/templates beside the bundles, since a synth costs seconds of CPU and
 * every test file that deploys runs in a process of its own.
 */
function templateFor(context: Record<string, unknown>): Promise<Template> {
  const key = JSON.stringify(context);
  let template = templates.get(key);
  if (template === undefined) {
    template = cachedTemplate(context);
    templates.set(key, template);
    template.catch(() => templates.delete(key));
  }
  return template;
}

async function cachedTemplate(context: Record<string, unknown>): Promise<Template> {
  const dir = join(TEMPLATES, sourcesHash());
  const file = join(
    dir,
    `${createHash('sha256').update(JSON.stringify(context)).digest('hex').slice(0, 16)}.json`,
  );
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as Template;
  const template = await synthesize(context, false);
  forgetOldVersions(TEMPLATES, dir);
  mkdirSync(dir, { recursive: true });
  // Whole or not at all: another worker may read it while this one writes.
  const staging = `${file}.staging-${process.pid}`;
  writeFileSync(staging, JSON.stringify(template));
  renameSync(staging, file);
  return template;
}

async function synthesize(
  context: Record<string, unknown>,
  bundle: boolean,
  outdir?: string,
): Promise<Template> {
  const { createApp } = await import('../infra/keyrot-app.js');
  const cdkJson = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as {
    context: Record<string, unknown>;
  };
  const { app, stack } = createApp({
    context: {
      ...cdkJson.context,
      ...context,
      'aws:cdk:enable-path-metadata': true,
      ...(!bundle && { 'aws:cdk:bundling-stacks': [] }),
    },
    nag: false,
    ...(outdir !== undefined && { outdir }),
  });
  const assembly = app.synth();
  return assembly.getStackByName(stack.stackName).template as Template;
}

/**
 * The functions' bundles, by construct name (RotationFunction, Reconciler): directories holding
 * index.mjs, built once per version of the sources by a real synth with esbuild bundling.
 */
export async function functionBundles(): Promise<Record<string, string>> {
  const dir = join(BUNDLES, sourcesHash());
  const index = join(dir, 'bundles.json');
  if (!existsSync(index)) {
    forgetOldVersions(BUNDLES, dir);
    const staging = `${dir}.staging-${process.pid}`;
    const template = await synthesize({}, true, staging);
    const found: Record<string, string> = {};
    for (const resource of Object.values(template.Resources)) {
      if (resource.Type !== 'AWS::Lambda::Function') continue;
      const key = String((resource.Properties?.Code as { S3Key?: string } | undefined)?.S3Key ?? '');
      if (key !== '') found[constructName(resource)] = `asset.${key.replace(/\.zip$/, '')}`;
    }
    writeFileSync(join(staging, 'bundles.json'), JSON.stringify(found));
    mkdirSync(BUNDLES, { recursive: true });
    try {
      renameSync(staging, dir);
    } catch {
      rmSync(staging, { recursive: true, force: true }); // built at once by another process: theirs stands
    }
  }
  const names = JSON.parse(readFileSync(index, 'utf8')) as Record<string, string>;
  const bundles = Object.fromEntries(Object.entries(names).map(([name, asset]) => [name, join(dir, asset)]));
  const missing = Object.values(bundles).filter((path) => !existsSync(join(path, 'index.mjs')));
  if (missing.length > 0)
    throw new Error(`bundles in ${dir} are incomplete (${missing.join(', ')}): remove ${BUNDLES}`);
  return bundles;
}

/**
 * Removes what was built of other versions of the sources (bundles, templates), and stagings a crashed
 * build left (an hour old): never a staging in progress, which another process (a test worker) may be
 * building now.
 */
function forgetOldVersions(root: string, current: string): void {
  if (!existsSync(root)) return;
  for (const entry of readdirSync(root)) {
    const path = join(root, entry);
    if (path === current) continue;
    const staging = entry.includes('.staging-');
    if (!staging || Date.now() - statSync(path).mtimeMs > 3_600_000)
      rmSync(path, { recursive: true, force: true });
  }
}

export interface DeployTarget {
  endpoint: string;
  accountId: string;
  region?: string;
  /** Extra cdk.json context, such as `keyrot:config` (the configuration the functions get). */
  context?: Record<string, unknown>;
}

export interface DeployedFunction {
  name: string;
  arn: string;
  /** Its execution role, with the template's policies on it. */
  roleName: string;
  environment: Record<string, string>;
}

export interface Deployment {
  rotationFunction: DeployedFunction;
  reconciler: DeployedFunction;
  /** The template's customer managed policies (the operators' least privilege), ARN by construct id. */
  managedPolicies: Record<string, string>;
}

const zips = new Map<string, Uint8Array>();

/**
 * A bundle's folder as the deployment package, zipped once per process: folders under .cache/bundles are
 * named by the sources' hash, so one never changes, and deflating the ~1.6 MB (bundle and source map)
 * again for every deployment was a tenth of a deploying test file's CPU.
 */
function bundleZip(bundle: string): Uint8Array {
  let zip = zips.get(bundle);
  if (zip === undefined) {
    zip = zipSync(Object.fromEntries(readdirSync(bundle).map((f) => [f, readFileSync(join(bundle, f))])));
    zips.set(bundle, zip);
  }
  return zip;
}

/** The logical id of a function's role (its Role property is the role's Fn::GetAtt Arn). */
function roleLogicalId(role: unknown): string {
  const getAtt = (role as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt'];
  if (getAtt === undefined)
    throw new Error(
      `the emulator deployment expects a function's Role as Fn::GetAtt, not ${JSON.stringify(role)}`,
    );
  return getAtt[0];
}

/**
 * The role's permissions as the template gives them, as CloudFormation would put them: each
 * AWS::IAM::Policy naming the role (and the role's own Policies) as an inline policy, its
 * ManagedPolicyArns attached. The emulator's IAM (emulator/iam/) authorizes the function's calls with them.
 */
async function putRolePolicies(
  iam: IAMClient,
  roleName: string,
  roleId: string,
  resources: Record<string, CfnResource>,
  resolveDocument: (value: unknown) => unknown,
): Promise<void> {
  const role = resources[roleId];
  if (role?.Type !== 'AWS::IAM::Role')
    throw new Error(`the function's role ${roleId} is not an AWS::IAM::Role`);
  const dropped = droppedStatements([constructName(role), roleName]);
  const inline: { name: string; document: unknown }[] = [];
  for (const p of (role.Properties?.Policies as
    { PolicyName: string; PolicyDocument: unknown }[] | undefined) ?? [])
    inline.push({ name: p.PolicyName, document: p.PolicyDocument });
  for (const [id, r] of Object.entries(resources)) {
    if (r.Type !== 'AWS::IAM::Policy') continue;
    const roles = (r.Properties?.Roles as { Ref?: string }[] | undefined) ?? [];
    if (roles.some((ref) => ref.Ref === roleId))
      inline.push({ name: String(r.Properties?.PolicyName ?? id), document: r.Properties?.PolicyDocument });
  }
  for (const { name, document } of inline) {
    const kept = withoutStatements(resolveDocument(document), name, dropped);
    // Every statement dropped: no policy at all, as the template would have none (IAM refuses an empty one).
    if ([(kept as { Statement: unknown }).Statement].flat().length === 0) {
      await iam
        .send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: name }))
        .catch((error: unknown) => {
          if (!(error instanceof NoSuchEntityException)) throw error;
        });
      continue;
    }
    await iam.send(
      new PutRolePolicyCommand({
        RoleName: roleName,
        PolicyName: name,
        PolicyDocument: JSON.stringify(kept),
      }),
    );
  }
  for (const arn of (role.Properties?.ManagedPolicyArns as unknown[] | undefined) ?? []) {
    await iam.send(
      new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: String(resolveDocument(arn)) }),
    );
  }
}

/**
 * The statements KEYROT_IAM_DROP names for a role known by any of `roleNames` (test-only: the statement
 * removal check runs a test with one statement left out, as if infra/permissions.ts lacked it).
 */
function droppedStatements(roleNames: string[]): Set<string> {
  const dropped = new Set<string>();
  for (const entry of (process.env.KEYROT_IAM_DROP ?? '').split(',')) {
    const slash = entry.indexOf('/');
    if (slash > 0 && roleNames.includes(entry.slice(0, slash).trim()))
      dropped.add(entry.slice(slash + 1).trim());
  }
  return dropped;
}

/** A policy document without the statements named (by Sid, or `<policy name>#<index>` for one without). */
function withoutStatements(document: unknown, policyName: string, dropped: Set<string>): unknown {
  if (dropped.size === 0) return document;
  const doc = document as { Statement: ({ Sid?: string } | undefined)[] | { Sid?: string } };
  const statements = [doc.Statement].flat();
  const kept = statements.filter((s, index) => !dropped.has(s?.Sid ?? `${policyName}#${index}`));
  return { ...doc, Statement: kept };
}

/** x-moto-account-id on every request: the emulator account to deploy into. */
function inAccount<T extends { middlewareStack: { add: (...args: never[]) => void } }>(
  client: T,
  accountId: string,
): T {
  (client.middlewareStack as unknown as { add: (mw: unknown, o: unknown) => void }).add(
    (next: (args: { request: { headers: Record<string, string> } }) => unknown) =>
      (args: { request: { headers: Record<string, string> } }) => {
        args.request.headers['x-moto-account-id'] = accountId;
        return next(args);
      },
    { step: 'build', name: 'emulatorAccount' },
  );
  return client;
}

/** Deploys the app's functions (and what their environment names) into one emulator account. */
export async function deployFunctions(target: DeployTarget): Promise<Deployment> {
  const region = target.region ?? 'us-east-1';
  const { accountId } = target;
  const config = {
    region,
    endpoint: target.endpoint,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  };
  const lambda = inAccount(new LambdaClient(config), accountId);
  const iam = inAccount(new IAMClient(config), accountId);
  const kms = inAccount(new KMSClient(config), accountId);
  const s3 = inAccount(new S3Client({ ...config, forcePathStyle: true }), accountId);
  const logs = inAccount(new CloudWatchLogsClient(config), accountId);
  const sqs = inAccount(new SQSClient(config), accountId);
  const [bundles, template] = await Promise.all([functionBundles(), templateFor(target.context ?? {})]);
  const resources = template.Resources;

  // What the functions' environment refers to, created here as CloudFormation would.
  const physical = new Map<string, { ref: string; arn: string }>();
  const functionName = (logicalId: string) => `keyrot-${constructName(resources[logicalId]!)}`.slice(0, 64);
  for (const [id, r] of Object.entries(resources)) {
    if (r.Type === 'AWS::KMS::Key') {
      // Its key policy is the template's (the emulator's IAM consults it), once the resolver is there.
      const key = await kms.send(new CreateKeyCommand({ Description: `keyrot ${id}` }));
      physical.set(id, { ref: key.KeyMetadata!.KeyId!, arn: key.KeyMetadata!.Arn! });
    } else if (r.Type === 'AWS::Logs::LogGroup') {
      // The function's group, named as Lambda's default (/aws/lambda/NAME): Lambda only writes into it.
      const name = `/aws/lambda/keyrot-${constructName(r).replace(/Logs$/, '')}`;
      await logs.send(new CreateLogGroupCommand({ logGroupName: name })).catch((error: unknown) => {
        if (!(error instanceof ResourceAlreadyExistsException)) throw error;
      });
      const days = r.Properties?.RetentionInDays;
      if (days !== undefined)
        await logs.send(new PutRetentionPolicyCommand({ logGroupName: name, retentionInDays: Number(days) }));
      physical.set(id, { ref: name, arn: `arn:aws:logs:${region}:${accountId}:log-group:${name}:*` });
    } else if (r.Type === 'AWS::SQS::Queue') {
      // A dead-letter queue: the emulator's Lambda delivers failed asynchronous events to it.
      const name = `keyrot-${constructName(r)}`;
      const retention = r.Properties?.MessageRetentionPeriod;
      const queue = await sqs.send(
        new CreateQueueCommand({
          QueueName: name,
          ...(retention !== undefined && { Attributes: { MessageRetentionPeriod: String(retention) } }),
        }),
      );
      physical.set(id, { ref: queue.QueueUrl!, arn: `arn:aws:sqs:${region}:${accountId}:${name}` });
    } else if (r.Type === 'AWS::Lambda::Function') {
      const name = functionName(id);
      physical.set(id, { ref: name, arn: `arn:aws:lambda:${region}:${accountId}:function:${name}` });
    } else if (r.Type === 'AWS::S3::Bucket') {
      const name = `keyrot-${constructName(r).toLowerCase()}-${accountId}`;
      await s3
        .send(
          new CreateBucketCommand({
            Bucket: name,
            ObjectLockEnabledForBucket: r.Properties?.ObjectLockEnabled === true,
          }),
        )
        .catch((error: { name?: string }) => {
          if (!/BucketAlready(Exists|OwnedByYou)/.test(error.name ?? '')) throw error;
        });
      physical.set(id, { ref: name, arn: `arn:aws:s3:::${name}` });
    } else if (r.Type === 'AWS::Events::EventBus') {
      const name = `keyrot-${accountId}`;
      physical.set(id, { ref: name, arn: `arn:aws:events:${region}:${accountId}:event-bus/${name}` });
    }
  }
  const resolve = (value: unknown): string => {
    if (typeof value === 'string') return value;
    const v = value as Record<string, unknown>;
    if ('Ref' in v) {
      const ref = String(v.Ref);
      const pseudo: Record<string, string> = {
        'AWS::Region': region,
        'AWS::AccountId': accountId,
        'AWS::Partition': 'aws',
        'AWS::URLSuffix': 'amazonaws.com',
      };
      const found = pseudo[ref] ?? physical.get(ref)?.ref;
      if (found === undefined) throw new Error(`the emulator deployment can't resolve Ref ${ref}`);
      return found;
    }
    if ('Fn::GetAtt' in v) {
      const [id, attribute] = v['Fn::GetAtt'] as [string, string];
      const found = attribute === 'Arn' ? physical.get(id)?.arn : undefined;
      if (found === undefined)
        throw new Error(`the emulator deployment can't resolve Fn::GetAtt ${id}.${attribute}`);
      return found;
    }
    if ('Fn::Join' in v) {
      const [separator, parts] = v['Fn::Join'] as [string, unknown[]];
      return parts.map(resolve).join(separator);
    }
    throw new Error(`the emulator deployment can't resolve ${JSON.stringify(value).slice(0, 200)}`);
  };

  /** A policy document with its intrinsics resolved (a value the resolver can't resolve fails the deployment). */
  const resolveDocument = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(resolveDocument);
    if (value === null || typeof value !== 'object') return value;
    const keys = Object.keys(value);
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0]!.startsWith('Fn::'))) return resolve(value);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveDocument(v)]));
  };
  for (const [id, r] of Object.entries(resources)) {
    if (r.Type !== 'AWS::KMS::Key' || r.Properties?.KeyPolicy === undefined) continue;
    await kms.send(
      new PutKeyPolicyCommand({
        KeyId: physical.get(id)!.ref,
        PolicyName: 'default',
        Policy: JSON.stringify(resolveDocument(r.Properties.KeyPolicy)),
      }),
    );
  }

  // The keys' aliases (the secrets key's: another region's onboarding names it by it). An alias another
  // deployment of the account and region made is moved to this one's key.
  for (const r of Object.values(resources)) {
    if (r.Type !== 'AWS::KMS::Alias') continue;
    const alias = {
      AliasName: resolve(r.Properties!.AliasName),
      TargetKeyId: resolve(r.Properties!.TargetKeyId),
    };
    await kms.send(new CreateAliasCommand(alias)).catch(async (error: unknown) => {
      if (!(error instanceof AlreadyExistsException)) throw error;
      await kms.send(new UpdateAliasCommand(alias));
    });
  }

  // The template's customer managed policies, as CloudFormation creates them (a redeploy: a new default version).
  const managedPolicies: Record<string, string> = {};
  for (const r of Object.values(resources)) {
    if (r.Type !== 'AWS::IAM::ManagedPolicy') continue;
    // IAM is global: a name per stack (as CloudFormation's generated ones are), or another region's
    // deployment of the stack would overwrite this one's policies.
    const policyName = `keyrot-${constructName(r)}-${region}`.slice(0, 128);
    const arn = `arn:aws:iam::${accountId}:policy/${policyName}`;
    const document = JSON.stringify(resolveDocument(r.Properties?.PolicyDocument));
    await iam
      .send(new CreatePolicyCommand({ PolicyName: policyName, PolicyDocument: document }))
      .catch(async (error: unknown) => {
        if (!(error instanceof EntityAlreadyExistsException)) throw error;
        await iam.send(
          new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: document, SetAsDefault: true }),
        );
      });
    managedPolicies[constructName(r)] = arn;
  }

  const deployed: Record<string, DeployedFunction> = {};
  for (const [id, r] of Object.entries(resources)) {
    if (r.Type !== 'AWS::Lambda::Function') continue;
    const construct = constructName(r);
    const bundle = bundles[construct];
    if (bundle === undefined) throw new Error(`no bundle for function ${construct}`);
    const p = r.Properties ?? {};
    const name = functionName(id);
    // A name per stack and region, as for the managed policies above.
    const roleName = `${name}-role-${region}`.slice(0, 64);
    const role = await iam
      .send(
        new CreateRoleCommand({
          RoleName: roleName,
          AssumeRolePolicyDocument: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
            ],
          }),
        }),
      )
      .then((out) => out.Role!.Arn!)
      .catch((error: unknown) => {
        // Deployed before into this account: the role stays (the SDK's class, not the wire's error code).
        if (!(error instanceof EntityAlreadyExistsException)) throw error;
        return `arn:aws:iam::${accountId}:role/${roleName}`;
      });
    await putRolePolicies(iam, roleName, roleLogicalId(p.Role), resources, resolveDocument);
    const variables = (p.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
    const environment = Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, resolve(v)]));
    const zip = bundleZip(bundle);
    const deadLetters = (p.DeadLetterConfig as { TargetArn?: unknown } | undefined)?.TargetArn;
    const settings = {
      FunctionName: name,
      Role: role,
      Handler: String(p.Handler),
      Runtime: String(p.Runtime) as Runtime,
      Timeout: Number(p.Timeout ?? 3),
      MemorySize: Number(p.MemorySize ?? 128),
      Environment: { Variables: environment },
      // Lambda checks the role may send to the queue: a missing grant fails the deployment here too.
      ...(deadLetters !== undefined && { DeadLetterConfig: { TargetArn: resolve(deadLetters) } }),
      ...(p.LoggingConfig !== undefined && {
        LoggingConfig: resolveDocument(p.LoggingConfig) as LoggingConfig,
      }),
    };
    try {
      await lambda.send(new CreateFunctionCommand({ ...settings, Code: { ZipFile: zip } }));
    } catch (error) {
      if ((error as { name?: string }).name !== 'ResourceConflictException') throw error;
      await lambda.send(new UpdateFunctionCodeCommand({ FunctionName: name, ZipFile: zip }));
      await lambda.send(new UpdateFunctionConfigurationCommand(settings));
    }
    deployed[construct] = { name, arn: physical.get(id)!.arn, roleName, environment };
  }
  // The template's invoke permissions (Secrets Manager's on the rotation function).
  for (const [id, r] of Object.entries(resources)) {
    if (r.Type !== 'AWS::Lambda::Permission') continue;
    const p = r.Properties ?? {};
    await lambda
      .send(
        new AddPermissionCommand({
          FunctionName: resolve(p.FunctionName),
          StatementId: id,
          Action: String(p.Action),
          Principal: String(p.Principal),
          ...(p.SourceAccount !== undefined && { SourceAccount: resolve(p.SourceAccount) }),
          ...(p.SourceArn !== undefined && { SourceArn: resolve(p.SourceArn) }),
        }),
      )
      .catch((error: { name?: string }) => {
        if (error.name !== 'ResourceConflictException') throw error;
      });
  }
  const rotationFunction = deployed.RotationFunction;
  const reconciler = deployed.Reconciler;
  if (rotationFunction === undefined || reconciler === undefined) {
    throw new Error(
      `the app has no RotationFunction or Reconciler (found ${Object.keys(deployed).join(', ')})`,
    );
  }
  return { rotationFunction, reconciler, managedPolicies };
}
