import { App, Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { ApiKeyRotation, KeyrotMonitoring, ReportStore, RotationCore } from '../../infra/api-key-rotation.js';
import { createApp } from '../../infra/keyrot-app.js';
import { acknowledgements, CDK_CONTEXT } from './synth.js';

/** Every AwsSolutions finding as if nothing were acknowledged. */
function rawFindings(root: IConstruct): { rule: string; path: string }[] {
  const pack = new AwsSolutionsChecks();
  (pack as unknown as { isAcknowledged: () => boolean }).isAcknowledged = () => false;
  return pack
    .validateScope(root)
    .violations.flatMap((v) =>
      v.violatingResources.map((r) => ({ rule: v.ruleName, path: r.constructPath ?? '' })),
    );
}

const under = (path: string, scope: string) => path === scope || path.startsWith(`${scope}/`);

const cdkApp = (context: Record<string, unknown>) => () =>
  createApp({ context: { ...CDK_CONTEXT, ...context, 'aws:cdk:bundling-stacks': [] }, nag: false }).app;

const variants: [string, () => App][] = [
  ['cdk.json as it is', cdkApp({})],
  [
    'with an alarm email and a consumer in another account',
    cdkApp({
      'keyrot:alarmEmail': 'oncall@example.com',
      'keyrot:consumers': [
        { credential: 'partner-acme', principalArn: 'arn:aws:iam::111122223333:role/partner-app' },
      ],
    }),
  ],
  ['with events off', cdkApp({ 'keyrot:config': { eventBusName: null } })],
  ['with Security Hub findings on', cdkApp({ 'keyrot:config': { securityHub: { enabled: true } } })],
  [
    'the construct in an app of its own, with its own topic and no feature flags',
    () => {
      const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
      const stack = new Stack(app, 'Platform');
      const topic = sns.Topic.fromTopicArn(stack, 'Pager', 'arn:aws:sns:eu-west-1:123456789012:pager');
      new ApiKeyRotation(stack, 'KeyRotation', { alarmTopic: topic });
      return app;
    },
  ],
  [
    'each part alone: the rotation core without reports, the report store, the monitoring on metrics only',
    () => {
      const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
      new RotationCore(new Stack(app, 'Core'), 'Rotation');
      new ReportStore(new Stack(app, 'Store'), 'Reports', { lockMode: 'COMPLIANCE' });
      new KeyrotMonitoring(new Stack(app, 'Watch'), 'Monitoring', { metricNamespace: 'KeyRotation' });
      return app;
    },
  ],
];

describe.each(variants)('cdk-nag (AwsSolutions): %s', (_, build) => {
  it('synth reports no unacknowledged finding', () => {
    const app = build();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
  });

  it('every finding is acknowledged where it arises, with a reason; no acknowledgement is stale', () => {
    const app = build();
    const acks = acknowledgements(app);
    const findings = rawFindings(app);
    const unacknowledged = findings.filter(
      (f) => !acks.some((a) => a.id === f.rule && under(f.path, a.path)),
    );
    expect(unacknowledged).toEqual([]);
    const stale = acks.filter((a) => !findings.some((f) => f.rule === a.id && under(f.path, a.path)));
    expect(stale).toEqual([]);
    for (const a of acks) expect({ ...a, reason: a.reason.length >= 30 }).toEqual({ ...a, reason: true });
    // Only these kinds of finding are acknowledged, each explained in infra/api-key-rotation.ts.
    expect([...new Set(acks.map((a) => a.id.replace(/\[.*$/, '')))]).toEqual(['AwsSolutions-IAM5']);
  });
});
