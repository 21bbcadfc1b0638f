/**
 * integ-runner's `--app`: runs an integ test app (the argument), then marks its cloud assembly with the
 * schema version integ-runner reads.
 *
 * Why: @aws-cdk/integ-runner 2.197.10, the newest release, bundles the cloud assembly schema 53, and
 * aws-cdk-lib 2.276.0 writes schema 55; integ-runner refuses it ("Cloud assembly schema version mismatch:
 * Maximum schema version supported is 53.x.x, but found 55.0.0"). The files are otherwise read as they
 * are (integ-runner does not validate them against its schema). Remove this file, and `run-app.ts` from
 * the integ scripts' --app, once an integ-runner release reads schema 55.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const INTEG_RUNNER_SCHEMA_MAJOR = 53;

const file = process.argv[2];
const outdir = process.env.CDK_OUTDIR;
if (file === undefined || outdir === undefined) {
  throw new Error('usage (by integ-runner, which sets CDK_OUTDIR): tsx run-app.ts <integ.*.ts>');
}
await import(pathToFileURL(resolve(file)).href);

// manifest.json, integ.json and the asset manifests carry the schema version.
for (const name of readdirSync(outdir).filter((n) => n.endsWith('.json'))) {
  const path = join(outdir, name);
  const text = readFileSync(path, 'utf8');
  const json = JSON.parse(text) as { version?: unknown };
  const major = typeof json.version === 'string' ? /^(\d+)\.\d+\.\d+$/.exec(json.version)?.[1] : undefined;
  if (major !== undefined && Number(major) > INTEG_RUNNER_SCHEMA_MAJOR) {
    json.version = `${INTEG_RUNNER_SCHEMA_MAJOR}.0.0`;
    writeFileSync(path, JSON.stringify(json, null, 1));
  }
}
