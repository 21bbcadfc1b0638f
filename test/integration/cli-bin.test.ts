import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emulatorEndpoint } from '../support/emulator-account.js';

const BIN = join(import.meta.dirname, '../../bin/keyrot.js');

/** `keyrot ARGS` as a user runs it: the published bin script in its own node process. */
function keyrot(args: string[], env: Record<string, string | undefined>) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: env as NodeJS.ProcessEnv });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the keyrot command as installed (bin/keyrot.js)', () => {
  it('prints no SDK notice about the Node.js version on a call (issue 12, item 9)', async () => {
    const env = { ...process.env };
    delete env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
    const out = await keyrot(
      ['plan', '--endpoint-url', emulatorEndpoint(), '--now', '2026-01-01T00:00:00Z'],
      env,
    );
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^plan at 2026-01-01T00:00:00.000Z/);
    // Node 20 here: the SDK would print its seven-line NodeVersionSupportWarning on the first call.
    expect(out.stderr).not.toMatch(/NodeVersionSupportWarning/);
  }, 60_000);

  it('--version prints the package version and exits 0', async () => {
    const { version } = JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')) as {
      version: string;
    };
    const out = await keyrot(['--version'], { ...process.env });
    expect(out).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  }, 60_000);

  it('asks before a destructive step when run on a terminal, and a "no" cancels it', async () => {
    // On a terminal (script(1) gives the command a pseudo-terminal; "n" is typed at the question). The
    // bin used to pass no way to ask, so every confirmation said "there is no terminal to ask on".
    const command = [process.execPath, BIN, 'rotate', 'billing-partner', '--grace', '0'];
    command.push('--endpoint-url', emulatorEndpoint());
    const out = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
      const child = spawn('script', ['-qec', command.map((a) => `'${a}'`).join(' '), '/dev/null'], {
        env: process.env,
      });
      let output = '';
      let answered = false;
      // script(1) may be gone by the time a write lands (it exits with the command): not the test's failure.
      child.stdin.on('error', () => {});
      const onData = (d: Buffer) => {
        output += d.toString();
        if (!answered && output.includes('Go ahead? [y/N]')) {
          answered = true;
          child.stdin.write('n\r');
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.once('error', reject);
      child.once('exit', (code) => resolve({ code, output }));
    });
    expect(out.output).toContain('consumers still on it get 403. Go ahead? [y/N]');
    expect(out.output).toContain('keyrot: cancelled: rotate billing-partner --grace 0');
    expect(out.code).toBe(1);
  }, 60_000);
});
