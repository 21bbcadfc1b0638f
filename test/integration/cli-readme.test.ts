import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../cli/main.js';
import { COMMON_FLAGS } from '../../cli/options.js';

const README = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');
const cliBlock = /## CLI\n\n```sh\n([\s\S]*?)```/.exec(README)?.[1] ?? '';
const flags = (text: string) => [...new Set(text.match(/--[a-z][a-z-]+/g) ?? [])].sort();

/** The options `keyrot <verb> --help` lists (its Options section, not its prose). */
async function helpFlags(verb: string): Promise<string[]> {
  let out = '';
  await runCli([verb, '--help'], { stdout: (t) => (out += t), stderr: (t) => (out += t) });
  const options = out.slice(out.indexOf('Options:'));
  return flags(
    options
      .split('\n')
      .filter((line) => /^\s+-/.test(line))
      .map((line) => line.trim().split(/\s{2,}/)[0])
      .join(' '),
  ).filter((f) => f !== '--help');
}

describe("the README's CLI section is what --help says", () => {
  const lines = cliBlock.split('\n').filter((l) => l.startsWith('npx keyrot '));
  const verbs = [...new Set(lines.map((l) => l.split(/\s+/)[2]!).filter((v) => !v.startsWith('--')))];

  it('lists every verb the CLI has', async () => {
    let out = '';
    await runCli(['--help'], { stdout: (t) => (out += t), stderr: () => {} });
    const commands = out
      .slice(out.indexOf('Commands:'))
      .split('\n')
      .slice(1)
      // A command's own line; its description wraps onto lines indented further.
      .filter((l) => /^ {2}\S/.test(l))
      .map((l) => l.trim().split(/\s+/)[0])
      .filter((c): c is string => c !== undefined && c !== '' && c !== 'help');
    expect(verbs.sort()).toEqual(commands.sort());
  });

  it('names the options every verb takes, as each verb has them', async () => {
    const common = /# every verb also takes: (.*)/.exec(cliBlock)?.[1] ?? '';
    expect(flags(common)).toEqual([...COMMON_FLAGS].sort());
    for (const verb of verbs) {
      expect({
        verb,
        common: (await helpFlags(verb)).filter((f) => COMMON_FLAGS.includes(f)).sort(),
      }).toEqual({
        verb,
        common: [...COMMON_FLAGS].sort(),
      });
    }
  });

  it.each(['plan', 'apply', 'onboard', 'status', 'rotate', 'rollback', 'report', 'preflight'])(
    'keyrot %s: the README line(s) name exactly its own options',
    async (verb) => {
      const documented = flags(
        lines
          .filter((l) => l.split(/\s+/)[2] === verb)
          .map((l) => l.split('#')[0])
          .join(' '),
      );
      const own = (await helpFlags(verb)).filter((f) => !COMMON_FLAGS.includes(f));
      expect({ verb, documented }).toEqual({ verb, documented: own });
    },
  );
});
