import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onPath, ROOT } from './synth.js';

/**
 * `npm run synth` as on a fresh clone: the real CDK CLI, the app through tsx, esbuild bundling, cdk-nag.
 * No AWS credentials, no Docker (there is none on these machines), nothing but this repository.
 */
const out = mkdtempSync(join(tmpdir(), 'keyrot-synth-'));
let result: ReturnType<typeof spawnSync>;
let template: { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };

beforeAll(() => {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !/^(AWS_|CDK_DEFAULT_|DOCKER_|CDK_DOCKER)/.test(name)),
  );
  result = spawnSync('npm', ['run', '--silent', 'synth', '--', '--output', out], {
    cwd: ROOT,
    env: { ...env, AWS_EC2_METADATA_DISABLED: 'true', CDK_DOCKER: 'docker-is-not-used' },
    encoding: 'utf8',
    timeout: 90_000,
  });
  template = JSON.parse(readFileSync(join(out, 'Keyrot.template.json'), 'utf8')) as typeof template;
}, 100_000);

afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('npm run synth', () => {
  it('prints the template, without AWS credentials or Docker, cdk-nag finding nothing unacknowledged', () => {
    expect({ status: result.status, stderr: result.status === 0 ? '' : result.stderr }).toEqual({
      status: 0,
      stderr: '',
    });
    expect(result.stdout).toMatch(/^Resources:$/m);
    expect(result.stdout).toContain('Type: AWS::Lambda::Function');
    expect(result.stderr).not.toMatch(/AwsSolutions-/);
  });

  const assets = () =>
    Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::Lambda::Function')
      .map((r) => {
        const key = (r.Properties.Code as { S3Key: string }).S3Key;
        return join(out, `asset.${key.replace(/\.zip$/, '')}`);
      });

  it('bundles each function locally with esbuild: one ES module with its source map, the AWS SDK inside', () => {
    expect(assets()).toHaveLength(2);
    for (const dir of assets()) {
      expect(readdirSync(dir).sort()).toEqual(['index.mjs', 'index.mjs.map']);
      const code = readFileSync(join(dir, 'index.mjs'), 'utf8');
      expect(code.startsWith("import { createRequire as __keyrotCreateRequire } from 'node:module';")).toBe(
        true,
      );
      expect(code).toMatch(/export\s*\{[^}]*\bhandler\b/);
      expect(code).toContain('//# sourceMappingURL=index.mjs.map');
      // Only Node's own modules are imported; the SDK's optional CRT signer is tried and skipped.
      const imported = [...code.matchAll(/(?:\bfrom|\bimport\(|\brequire\()\s*"([@a-z][\w@./:-]*)"/g)].map(
        (m) => m[1]!,
      );
      expect(imported.filter((m) => !m.startsWith('node:') && m !== '@aws-sdk/signature-v4-crt')).toEqual([]);
      expect(code).toContain('@aws-sdk/client-secrets-manager');
    }
  });

  it('each bundle carries only what its function runs: no zod locale but English, no client the rotation function never calls', () => {
    const byFunction = Object.fromEntries(
      Object.entries(template.Resources)
        .filter(([, r]) => r.Type === 'AWS::Lambda::Function')
        .map(([id, r]) => [
          id.startsWith('ApiKeyRotationRotationFunction') ? 'rotation' : 'reconciler',
          readFileSync(
            join(
              out,
              `asset.${(r.Properties.Code as { S3Key: string }).S3Key.replace(/\.zip$/, '')}`,
              'index.mjs',
            ),
            'utf8',
          ),
        ]),
    ) as Record<'rotation' | 'reconciler', string>;
    for (const code of Object.values(byFunction)) {
      // zod's German and Spanish error messages: 258 KB of its locales when they are bundled.
      expect(code).not.toContain('Eingabe');
      expect(code).not.toContain('entrada');
    }
    for (const client of [
      '@aws-sdk/client-s3',
      '@aws-sdk/client-cloudwatch',
      '@aws-sdk/client-eventbridge',
      '@aws-sdk/client-lambda',
      '@aws-sdk/client-securityhub',
    ])
      expect({ client, bundled: byFunction.rotation.includes(client) }).toEqual({ client, bundled: false });
    // Budgets with room to grow, far under the ~1.1 MB each bundle was (issue 13).
    expect(byFunction.rotation.length).toBeLessThan(600_000);
    // The reconciler carries the Security Hub client (securityHub.enabled): its ASFF schema is ~190 KB.
    // 1.10 MB with multi-region adoption and key rows per region (issue 27): a budget ~100 KB above it,
    // which an accidentally bundled client or zod's locales (258 KB) still exceeds.
    expect(byFunction.reconciler.length).toBeLessThan(1_200_000);
  });

  it('each bundle loads in Node and exports its handler', () => {
    for (const dir of assets()) {
      const load = spawnSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          "const m = await import('./index.mjs'); console.log(typeof m.handler);",
        ],
        {
          cwd: dir,
          env: {
            PATH: process.env.PATH,
            KEYROT_CONFIG: '{}',
            AWS_REGION: 'eu-west-1',
            AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          },
          encoding: 'utf8',
        },
      );
      expect({ stdout: load.stdout.trim(), stderr: load.stderr }).toEqual({ stdout: 'function', stderr: '' });
    }
  });

  it('cfn-lint reports no error on the synthesized template', (context) => {
    if (!onPath('cfn-lint'))
      context.skip('cfn-lint is not installed (pip install cfn-lint); CI runs this check');
    const lint = spawnSync('cfn-lint', ['--format', 'parseable', join(out, 'Keyrot.template.json')], {
      encoding: 'utf8',
    });
    const errors = lint.stdout.split('\n').filter((line) => /:E\d{4}:/.test(line));
    expect(errors).toEqual([]);
    // 0: clean; 4: warnings only (2, 6, 8... include errors).
    expect([0, 4]).toContain(lint.status);
  });
});
