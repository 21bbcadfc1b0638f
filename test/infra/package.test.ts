import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { functionBundles } from '../../emulator/deploy.js';
import { buildPackage } from '../../scripts/build-package.js';
import { ROOT } from './synth.js';

/**
 * The package as a user gets it: built (npm run package), packed (npm pack), installed from the tarball
 * into a fresh CDK app in a temporary folder, which typechecks against the package's declarations,
 * synthesizes a stack with the construct, and runs the installed `keyrot`. Installs come from npm's
 * cache where it has them (CI's `npm ci` filled it), from the registry otherwise.
 */
const work = mkdtempSync(join(tmpdir(), 'keyrot-package-'));
const app = join(work, 'app');
let tarball: string;
let files: string[];

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const versionOf = (name: string) =>
  (JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string })
    .version;
const ROOT_VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string })
  .version;

function run(command: string, args: string[], options: SpawnSyncOptions = {}) {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(AWS_|CDK_DEFAULT_|npm_)/.test(name)),
  );
  const result = spawnSync(command, args, {
    cwd: app,
    encoding: 'utf8',
    timeout: 240_000,
    ...options,
    env: { ...env, AWS_EC2_METADATA_DISABLED: 'true', ...options.env },
  });
  return { code: result.status, stdout: String(result.stdout), stderr: String(result.stderr) };
}

const APP_TS = `
import { App, CfnOutput, Stack } from 'aws-cdk-lib';
import { ApiKeyRotation, type ApiKeyRotationProps } from 'keyrot';
import { ApiKeyProvider, type ApiKeyProviderOptions } from 'keyrot/consumer';

const props: ApiKeyRotationProps = { config: { defaultPolicy: '60d' }, alarmEmail: 'oncall@example.com' };
const app = new App({ outdir: 'cdk.out' });
const stack = new Stack(app, 'FreshApp', { env: { account: '111122223333', region: 'eu-west-1' } });
const keyrot = new ApiKeyRotation(stack, 'ApiKeyRotation', props);
new CfnOutput(stack, 'RotationFunctionArn', { value: keyrot.rotationFunction.functionArn });
new CfnOutput(stack, 'SecretsKeyArn', { value: keyrot.secretsKey.keyArn });
// The consumer helper's types resolve through the package's exports (not run here).
const _provider: typeof ApiKeyProvider = ApiKeyProvider;
const _options: Partial<ApiKeyProviderOptions> = { maxAgeMs: 60_000 };
app.synth();
`;

beforeAll(async () => {
  const packageDir = await buildPackage();
  const packed = run('npm', ['pack', packageDir, '--pack-destination', work, '--json'], { cwd: work });
  expect(packed.code, packed.stderr).toBe(0);
  const [info] = JSON.parse(packed.stdout) as { filename: string; files: { path: string }[] }[];
  tarball = join(work, info!.filename);
  files = info!.files.map((f) => f.path);

  mkdirSync(app);
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({
      name: 'fresh-cdk-app',
      private: true,
      type: 'module',
      dependencies: {
        keyrot: `file:${tarball}`,
        'aws-cdk-lib': versionOf('aws-cdk-lib'),
        constructs: versionOf('constructs'),
      },
    }),
  );
  writeFileSync(join(app, 'app.ts'), APP_TS);
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2023',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        noUnusedLocals: false,
        skipLibCheck: true,
        types: [],
        outDir: 'out',
      },
      files: ['app.ts'],
    }),
  );
  const installed = run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund']);
  expect(installed.code, installed.stderr).toBe(0);
}, 300_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('the keyrot package (npm pack, installed into a fresh CDK app)', () => {
  it('holds built output only: JavaScript, declarations, the prebuilt functions, README and licence', () => {
    expect(files).toContain('package.json');
    expect(files).toContain('README.md');
    expect(files).toContain('LICENSE');
    expect(files).toContain('cli/bin.js');
    expect(files).toContain('infra/api-key-rotation.d.ts');
    expect(files).toContain('consumer/index.d.ts');
    expect(files).toContain('lambda/Reconciler/index.mjs');
    expect(files).toContain('lambda/RotationFunction/index.mjs');
    const strays = files.filter(
      (f) =>
        !/(\.js|\.d\.ts|\.mjs|\.mjs\.map)$/.test(f) && !['package.json', 'README.md', 'LICENSE'].includes(f),
    );
    expect(strays).toEqual([]);
    expect(files.filter((f) => /^(test|scripts|bench|runbooks)\//.test(f))).toEqual([]);
    const manifest = JSON.parse(
      readFileSync(join(app, 'node_modules', 'keyrot', 'package.json'), 'utf8'),
    ) as Record<string, unknown>;
    expect(manifest).not.toHaveProperty('devDependencies');
    expect(manifest).not.toHaveProperty('scripts');
    expect(manifest.peerDependenciesMeta).toEqual({
      'aws-cdk-lib': { optional: true },
      constructs: { optional: true },
    });
  });

  it('typechecks an app against the package declarations and synthesizes a stack with the construct', () => {
    const compiled = run(process.execPath, [tsc, '-p', 'tsconfig.json']);
    expect(compiled.code, compiled.stdout + compiled.stderr).toBe(0);
    const synth = run(process.execPath, ['out/app.js']);
    expect(synth.code, synth.stderr).toBe(0);

    const template = JSON.parse(readFileSync(join(app, 'cdk.out', 'FreshApp.template.json'), 'utf8')) as {
      Resources: Record<
        string,
        { Type: string; Properties: Record<string, unknown>; Metadata?: Record<string, unknown> }
      >;
      Outputs: Record<string, unknown>;
    };
    const functions = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    // The two functions and the CDK's own (the log retention or bucket helpers) if any: keyrot's are these.
    const keyrots = functions.filter((f) => String(f.Properties.Description ?? '').startsWith('keyrot:'));
    expect(keyrots).toHaveLength(2);
    for (const fn of keyrots) {
      expect(fn.Properties).toMatchObject({ Handler: 'index.handler', Runtime: 'nodejs24.x' });
      expect(fn.Properties.Architectures).toEqual(['arm64']);
    }
    expect(Object.keys(template.Outputs)).toEqual(
      expect.arrayContaining(['RotationFunctionArn', 'SecretsKeyArn']),
    );
  });

  it('ships in each function asset the very bundle this repository tests (no esbuild in the app)', async () => {
    expect(readdirSync(join(app, 'node_modules'))).not.toContain('esbuild');
    const shipped = readdirSync(join(app, 'cdk.out'))
      .map((entry) => join(app, 'cdk.out', entry, 'index.mjs'))
      .filter((bundle) => existsSync(bundle))
      .map((bundle) => readFileSync(bundle, 'utf8'))
      .sort();
    const tested = Object.values(await functionBundles())
      .map((dir) => readFileSync(join(dir, 'index.mjs'), 'utf8'))
      .sort();
    expect(shipped.length).toBe(2);
    expect(shipped).toEqual(tested);
  });

  it('installs the keyrot command: --help lists the verbs, --version is the package version', () => {
    const help = run(join(app, 'node_modules', '.bin', 'keyrot'), ['--help']);
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^Usage: keyrot /);
    for (const verb of ['plan', 'apply', 'onboard', 'status', 'rotate', 'rollback', 'report', 'preflight'])
      expect(help.stdout).toMatch(new RegExp(`\\n  ${verb} `));
    const version = run(join(app, 'node_modules', '.bin', 'keyrot'), ['--version']);
    expect(version).toMatchObject({ code: 0, stdout: `${ROOT_VERSION}\n` });
  });
});
