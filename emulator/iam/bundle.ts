/**
 * The IAM gateway as one file for the Lambda containers: imported from node_modules it costs each new
 * container ~130 ms (hundreds of small ES modules of iam-simulate), bundled ~20 ms, on the path of the
 * invocation that starts the container. Built once per version of its sources into .cache/iam-gateway/.
 * iam-simulate's synchronous evaluation (runUnsafeSimulation) reads none of iam-data's files, so the
 * bundle needs nothing beside it.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
const SOURCES = ['gateway.mjs', 'request-map.mjs', 'evaluate.mjs', 'decision-log.mjs'].map((f) =>
  join(HERE, f),
);

/** The bundled gateway's path (built now when this version of it has not been). */
export async function iamGatewayBundle(): Promise<string> {
  const hash = createHash('sha256');
  for (const file of [...SOURCES, join(ROOT, 'package-lock.json')]) hash.update(readFileSync(file));
  const dir = join(ROOT, '.cache', 'iam-gateway', hash.digest('hex').slice(0, 16));
  const bundle = join(dir, 'gateway.mjs');
  if (existsSync(bundle)) return bundle;
  const { build } = await import('esbuild');
  const staging = `${dir}.staging-${process.pid}`;
  await build({
    entryPoints: [join(HERE, 'gateway.mjs')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: join(staging, 'gateway.mjs'),
    logLevel: 'warning',
  });
  mkdirSync(dirname(dir), { recursive: true });
  try {
    renameSync(staging, dir);
  } catch {
    rmSync(staging, { recursive: true, force: true }); // built at once by another process: theirs stands
  }
  return bundle;
}
