#!/usr/bin/env node
/**
 * The keyrot command: the installed package's bin (compiled), and bin/keyrot.js's in a clone (through tsx).
 * It asks before a destructive step only where someone can answer: stdin and stderr both a terminal.
 */

// The SDK's notice about Node.js 20 (seven lines on every call) is not the user's to act on: README's
// Node.js requirement says it (docs/aws-facts.md). Set before the SDK loads.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { runCli } = await import('./main.js');
const { askOnTerminal } = await import('./confirm.js');
process.exitCode = await runCli(process.argv.slice(2), {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  progress: process.stderr.isTTY,
  ...(process.stdin.isTTY && process.stderr.isTTY && { confirm: askOnTerminal }),
});
