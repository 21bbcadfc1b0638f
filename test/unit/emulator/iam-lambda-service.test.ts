import { describe, expect, it } from 'vitest';
import { decideUse, lambdaServiceChecks } from '../../../emulator/iam/lambda-service.mjs';
import { referenceProblems } from './iam-reference.js';

/**
 * The Lambda service's own uses of an execution role (emulator/iam/lambda-service.mjs): the calls each
 * makes, checked against the Service Authorization Reference, and decided with the role's policies as
 * the template writes them (WriteOwnLogs on the function's own group; SendMessage on its queue).
 */
const REGION = 'us-east-1';
const ACCOUNT = '123456789012';
const ROLE = `arn:aws:iam::${ACCOUNT}:role/keyrot-Reconciler-role`;
const GROUP = '/aws/lambda/keyrot-Reconciler';
const STREAM = '2026/01/01/[$LATEST]0123456789abcdef0123456789abcdef';
const QUEUE = `arn:aws:sqs:${REGION}:${ACCOUNT}:keyrot-DeadLetters`;

const policies = [
  {
    name: 'DefaultPolicy',
    policy: {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'WriteOwnLogs',
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${GROUP}:*`,
        },
        { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: QUEUE },
      ],
    },
  },
];
const decide = (use: Parameters<typeof decideUse>[0]['use']) =>
  decideUse({
    role: ROLE,
    session: `arn:aws:sts::${ACCOUNT}:assumed-role/keyrot-Reconciler-role/keyrot-Reconciler`,
    account: ACCOUNT,
    region: REGION,
    policies,
    use,
  });

describe("the Lambda service's uses of an execution role", () => {
  it('maps log delivery and dead letters to the actions and resources of the Service Authorization Reference', async () => {
    const checks = [
      ...lambdaServiceChecks(
        { kind: 'logs', group: GROUP, stream: STREAM, createGroup: true },
        REGION,
        ACCOUNT,
      ),
      ...lambdaServiceChecks({ kind: 'dead-letter', target: QUEUE }, REGION, ACCOUNT),
      ...lambdaServiceChecks(
        { kind: 'dead-letter', target: `arn:aws:sns:${REGION}:${ACCOUNT}:alerts` },
        REGION,
        ACCOUNT,
      ),
    ];
    expect(checks.map((c) => c.action)).toEqual([
      'logs:CreateLogGroup',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'sqs:SendMessage',
      'sns:Publish',
    ]);
    for (const check of checks) expect(await referenceProblems(check)).toEqual([]);
  });

  it("allows the function's own log group and queue with the template's statements, and nothing else", () => {
    expect(decide({ kind: 'logs', group: GROUP, stream: STREAM })).toMatchObject({ result: 'Allowed' });
    expect(decide({ kind: 'dead-letter', target: QUEUE })).toMatchObject({ result: 'Allowed' });
    // Another function's group, or a missing group (no logs:CreateLogGroup): the logs are not delivered.
    expect(decide({ kind: 'logs', group: '/aws/lambda/other', stream: STREAM })).toMatchObject({
      result: 'ImplicitlyDenied',
      action: 'logs:CreateLogStream',
    });
    expect(decide({ kind: 'logs', group: GROUP, stream: STREAM, createGroup: true })).toMatchObject({
      result: 'ImplicitlyDenied',
      action: 'logs:CreateLogGroup',
    });
    expect(decide({ kind: 'dead-letter', target: `${QUEUE}-other` })).toMatchObject({
      result: 'ImplicitlyDenied',
      action: 'sqs:SendMessage',
    });
  });
});
