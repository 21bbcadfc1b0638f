import {
  CreateBucketCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  PutObjectLockConfigurationCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../../cli/main.js';
import { listRunReports, putRunReport } from '../../../functions/aws/report-bucket.js';
import { onboardCredential } from '../../../functions/onboarding/onboard.js';
import { renderReport, reportFileNames } from '../../../functions/report/files.js';
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
  // A report of the first layout (before the forms had folders of their own): pretty JSON beside the
  // CSV and HTML in the day's folder. Readers still take it.
  const older = await world.run(20);
  const olderDay = `runs/${dayAt(20).toISOString().slice(0, 10).replaceAll('-', '/')}/`;
  const olderNames = reportFileNames(older.report);
  const olderBodies = renderReport(older.report);
  for (const form of ['json', 'csv', 'html'] as const) {
    await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: `${olderDay}${olderNames[form]}`,
        Body: olderBodies[form],
        ChecksumAlgorithm: 'SHA256',
      }),
    );
  }
  const dayOf = (d: number) => `runs/${dayAt(d).toISOString().slice(0, 10).replaceAll('-', '/')}/`;

  it('each run stores its three forms in folders of their own under runs/YYYY/MM/DD/, locked by the bucket default retention', async () => {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: dayOf(30) }));
    const keys = (listed.Contents ?? []).map((o) => o.Key ?? '').sort();
    const names = reportFileNames(runs[0]!.report);
    expect(keys).toEqual(
      [
        `${dayOf(30)}csv/${names.csv}`,
        `${dayOf(30)}html/${names.html}`,
        `${dayOf(30)}json/${names.json}`,
      ].sort(),
    );
    const head = await s3.send(
      new HeadObjectCommand({ Bucket: bucket, Key: `${dayOf(30)}json/${names.json}` }),
    );
    expect(head.ObjectLockMode).toBe('GOVERNANCE');
    expect(head.ObjectLockRetainUntilDate).toBeInstanceOf(Date);
    expect(head.ContentType).toBe('application/json');
  });

  it("a report's key is written once: storing the same run again is refused, naming the key, and the first version stands (issue 28, item 6)", async () => {
    const first = runs[0]!.report;
    await expect(putRunReport(world.clients().s3, bucket, first)).rejects.toThrow(
      new RegExp(
        `report s3://${bucket}/${dayOf(30)}(json|csv|html)/\\S+ exists already: keyrot never overwrites a report`,
      ),
    );
    // A second version of it (tampered, or a retry) would be the one readers take.
    const names = reportFileNames(first);
    const versions = await s3.send(
      new ListObjectVersionsCommand({ Bucket: bucket, Prefix: `${dayOf(30)}json/${names.json}` }),
    );
    expect(versions.Versions).toHaveLength(1);
  });

  it('the JSON is one object on one line, as Athena reads it, and nothing but JSON is in the json/ folders', async () => {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'runs/' }));
    const jsonFolder = (listed.Contents ?? [])
      .map((o) => o.Key ?? '')
      .filter((k) => /^runs\/\d{4}\/\d{2}\/\d{2}\/json\//.test(k));
    expect(jsonFolder).toHaveLength(2);
    for (const key of jsonFolder) {
      expect(key).toMatch(/\.json$/);
      const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const text = (await out.Body?.transformToString()) ?? '';
      expect(text.endsWith('\n')).toBe(true);
      expect(text.trimEnd().split('\n')).toHaveLength(1);
      expect((JSON.parse(text) as { schema: string }).schema).toBe('keyrot/run-report@1');
    }
  });

  it('listRunReports reads both layouts, in time order', async () => {
    const all = await listRunReports(world.clients().s3, bucket, dayAt(0), dayAt(40));
    expect(all.map((r) => r.runId)).toEqual([
      older.report.runId,
      runs[0]!.report.runId,
      runs[1]!.report.runId,
    ]);
    expect(all[0]).toEqual(older.report);
    expect(all[1]).toEqual(runs[0]!.report);
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
    // The run of day 20 (first layout) and those of days 30 and 37 (current layout).
    expect(JSON.parse(stdout)).toMatchObject({ runs: 3, totals: { rotations: 1, retirements: 1 } });
  });
});
