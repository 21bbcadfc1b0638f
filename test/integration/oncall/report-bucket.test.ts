import {
  CreateBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectLockConfigurationCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../cli/main.js';
import { listRunReports, putRunReport } from '../../../functions/aws/report-bucket.js';
import { onboardCredential } from '../../../functions/onboarding/onboard.js';
import { accountPlugin, emulatorEndpoint } from '../../support/emulator-account.js';
import { createPlans, dayAt, World } from '../../support/world.js';

describe('run reports in the object-locked report bucket', async () => {
  const world = new World();
  const s3 = new S3Client({
    region: world.region,
    endpoint: emulatorEndpoint(),
    forcePathStyle: true,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  s3.middlewareStack.use(accountPlugin(world.accountId));
  const bucket = `keyrot-reports-${world.accountId}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket, ObjectLockEnabledForBucket: true }));
  await s3.send(
    new PutObjectLockConfigurationCommand({
      Bucket: bucket,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 400 } },
      },
    }),
  );
  const [plan] = await createPlans(world.raw().apigw, ['gold']);
  await onboardCredential(
    { ...world.clients(), config: world.config, now: dayAt(0) },
    { credential: 'acme', usagePlanIds: [plan!], policy: '30d' },
  );
  const runs = [await world.run(30), await world.run(37)];
  for (const run of runs) await putRunReport(world.clients().s3, bucket, run.report);

  it('each run stores its three forms under runs/YYYY/MM/DD/, locked by the bucket default retention', async () => {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'runs/' }));
    const keys = (listed.Contents ?? []).map((o) => o.Key ?? '');
    expect(keys).toHaveLength(6);
    expect(
      keys.filter((k) => k.startsWith(`runs/${dayAt(30).toISOString().slice(0, 10).replaceAll('-', '/')}/`)),
    ).toHaveLength(3);
    const head = await s3.send(
      new HeadObjectCommand({ Bucket: bucket, Key: keys.find((k) => k.endsWith('.json')) }),
    );
    expect(head.ObjectLockMode).toBe('GOVERNANCE');
    expect(head.ObjectLockRetainUntilDate).toBeInstanceOf(Date);
    expect(head.ContentType).toBe('application/json');
  });

  it('keyrot report --bucket reads them back for the period', async () => {
    expect(await listRunReports(world.clients().s3, bucket, dayAt(29), dayAt(31))).toHaveLength(1);
    let stdout = '';
    const day = (d: number) => dayAt(d).toISOString().slice(0, 10);
    const code = await runCli(
      [
        'report',
        '--from',
        day(0),
        '--to',
        day(40),
        '--bucket',
        bucket,
        '--json',
        '--endpoint-url',
        emulatorEndpoint(),
      ],
      {
        stdout: (t) => (stdout += t),
        stderr: () => {},
        plugins: [accountPlugin(world.accountId)],
      },
    );
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ runs: 2, totals: { rotations: 1, retirements: 1 } });
  });
});
