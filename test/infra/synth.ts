import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { createApp } from '../../infra/keyrot-app.js';

export const ROOT = join(import.meta.dirname, '../..');

/** cdk.json's context: tests synthesize what `npx cdk synth` synthesizes. */
export const CDK_CONTEXT = (
  JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> }
).context;

/**
 * The app of infra/app.ts with cdk.json's context plus `context`. Bundling is skipped (the synth test
 * bundles for real), so a synth takes a fraction of a second.
 */
export function synth(context: Record<string, unknown> = {}, options: { nag?: boolean } = {}) {
  const { app, stack } = createApp({
    context: { ...CDK_CONTEXT, ...context, 'aws:cdk:bundling-stacks': [] },
    nag: options.nag ?? false,
  });
  return { app, stack, template: Template.fromStack(stack) };
}

/** Whether `command` is installed (on PATH), without running it: `cfn-lint --version` alone costs a CPU-second. */
export function onPath(command: string): boolean {
  return spawnSync('sh', ['-c', 'command -v "$0"', command], { stdio: 'ignore' }).status === 0;
}

export interface CfnResource {
  Type: string;
  Properties: Record<string, unknown>;
  Metadata?: Record<string, unknown>;
}

export function resourcesOf(template: Template, type: string): [string, CfnResource][] {
  return Object.entries(template.findResources(type) as Record<string, CfnResource>);
}

/** ApiKeyRotationReconcilerRole26F3642C -> ReconcilerRole */
export const shortId = (logicalId: string) =>
  logicalId.replace(/^ApiKeyRotation/, '').replace(/[0-9A-F]{8}$/, '');

/**
 * A template value as one readable string: Fn::Join joined, `${AWS::Region}` for pseudo parameters,
 * `${ReconcilerRole.Arn}` / `${Reports}` for attributes and references (logical ids shortened).
 */
export function flat(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(flat);
  if (value === null || typeof value !== 'object') return value;
  const v = value as Record<string, unknown>;
  if ('Ref' in v) return `\${${shortId(String(v.Ref))}}`;
  if ('Fn::GetAtt' in v) {
    const [id, attr] = v['Fn::GetAtt'] as [string, string];
    return `\${${shortId(id)}.${attr}}`;
  }
  if ('Fn::Join' in v) {
    const [sep, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map((p) => flat(p)).join(sep);
  }
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, flat(x)]));
}

export interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string>>;
  Principal?: unknown;
}

export const list = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** The statements of the inline policies attached to a role (matched by its short logical id). */
export function roleStatements(template: Template, role: string): Statement[] {
  return resourcesOf(template, 'AWS::IAM::Policy')
    .filter(([, p]) => list(p.Properties.Roles).some((r) => flat(r) === `\${${role}}`))
    .flatMap(([, p]) => (flat(p.Properties.PolicyDocument) as { Statement: Statement[] }).Statement);
}

/** Whether a statement list allows an action on a resource (IAM's * and ? wildcards; conditions aside). */
export function allows(statements: Statement[], action: string, resource: string): boolean {
  const glob = (pattern: string) =>
    new RegExp(
      `^${pattern
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.')}$`,
    );
  return statements.some(
    (s) =>
      s.Effect === 'Allow' &&
      list(s.Action).some((a) => glob(a).test(action)) &&
      list(s.Resource).some((r) => glob(r).test(resource)),
  );
}

export interface Ack {
  path: string;
  id: string;
  reason: string;
}

/** Every acknowledgement recorded with Validations.of(scope).acknowledge(), where it was made. */
export function acknowledgements(root: IConstruct): Ack[] {
  return root.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) =>
        Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({
          path: c.node.path,
          id: id.replace(/^annotation::/i, ''),
          reason,
        })),
      )
      // aws-cdk-lib acknowledges some CloudFormation checks of its own constructs.
      .filter((a) => a.id.startsWith('AwsSolutions-')),
  );
}
