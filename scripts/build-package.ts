/**
 * Builds the npm package `keyrot` into dist/package: the construct, the CLI and the consumer helper
 * compiled with their type declarations (tsconfig.build.json), the two Lambda functions prebuilt (the
 * very bundles this repository's synth makes and its tests deploy), a package.json of its own, the
 * package's README and the licence. Built output only: no TypeScript sources, tests or tooling.
 *
 *   npm run package            # builds dist/package
 *   npm pack ./dist/package    # the tarball (npm publish ./dist/package publishes it)
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { functionBundles } from '../emulator/deploy.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const PACKAGE_DIR = join(ROOT, 'dist', 'package');

interface RootManifest {
  name: string;
  version: string;
  description: string;
  license: string;
  engines: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
}

/** The published package.json: what an installer needs, nothing of this repository's tooling. */
export function packageManifest(root: RootManifest): Record<string, unknown> {
  const cdkRange = root.devDependencies['aws-cdk-lib'];
  const constructsRange = root.devDependencies.constructs;
  if (cdkRange === undefined || constructsRange === undefined)
    throw new Error('package.json: aws-cdk-lib and constructs must be devDependencies (the tested versions)');
  return {
    name: root.name,
    version: root.version,
    description: root.description,
    license: root.license,
    keywords: ['aws', 'api-gateway', 'api-key', 'rotation', 'secrets-manager', 'cdk', 'aws-cdk', 'construct'],
    type: 'module',
    engines: root.engines,
    bin: { keyrot: './cli/bin.js' },
    types: './infra/api-key-rotation.d.ts',
    exports: {
      '.': { types: './infra/api-key-rotation.d.ts', default: './infra/api-key-rotation.js' },
      './consumer': { types: './consumer/index.d.ts', default: './consumer/index.js' },
      './package.json': './package.json',
    },
    // The CLI's and the consumer helper's; the construct's functions carry their own (prebuilt bundles).
    dependencies: root.dependencies,
    // The construct runs in the user's CDK app, on the app's aws-cdk-lib; a CLI-only install needs neither.
    peerDependencies: { 'aws-cdk-lib': cdkRange, constructs: constructsRange },
    peerDependenciesMeta: { 'aws-cdk-lib': { optional: true }, constructs: { optional: true } },
  };
}

export async function buildPackage(): Promise<string> {
  rmSync(PACKAGE_DIR, { recursive: true, force: true });
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
  // The construct uses these instead of bundling sources (infra/rotation-core.ts, PREBUILT).
  for (const [name, dir] of Object.entries(await functionBundles()))
    cpSync(dir, join(PACKAGE_DIR, 'lambda', name), { recursive: true });
  const root = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as RootManifest;
  writeFileSync(join(PACKAGE_DIR, 'package.json'), `${JSON.stringify(packageManifest(root), null, 2)}\n`);
  mkdirSync(PACKAGE_DIR, { recursive: true });
  copyFileSync(join(ROOT, 'packaging', 'README.md'), join(PACKAGE_DIR, 'README.md'));
  copyFileSync(join(ROOT, 'LICENSE'), join(PACKAGE_DIR, 'LICENSE'));
  return PACKAGE_DIR;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dir = await buildPackage();
  console.log(`built ${dir}: npm pack ${dir}`);
}
