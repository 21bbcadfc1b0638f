/**
 * The suite passes on any day it is run: runs the date-sensitive tests (unit and integration: every
 * test that simulates time or reads a clock) with the machine's clock moved, through Debian's
 * libfaketime preloaded into every process (vitest's workers, the emulator, the Lambda containers it
 * starts). A test that takes a simulated fact from the machine's clock instead of the emulator's fails
 * on one of these days.
 *
 *   npm run test:any-date                       # every offset below
 *   npm run test:any-date -- +400d              # one (libfaketime's FAKETIME syntax)
 *   npm run test:any-date -- +400d test/integration/hygiene
 *
 * Offsets: a year and a month on, eleven years on, and a leap day. CI installs faketime (apt) as it
 * installs Chromium.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const LEAP_DAY = Date.parse('2028-02-29T12:00:00Z');
/**
 * libfaketime offsets, relative: every process started (the workers, the emulator) shares the shift.
 * An absolute "@2028-02-29 12:00:00" would start each process's clock there when it starts, and
 * processes started minutes apart would disagree.
 */
export const OFFSETS = ['+400d', '+4000d', `+${Math.round((LEAP_DAY - Date.now()) / 1000)}`];

const LIBRARY = [
  // Not libfaketimeMT: its locks make every clock read ~30 times slower (moto reads the clock constantly).
  '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1',
  '/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1',
];

function library(): string {
  const found = LIBRARY.find((path) => existsSync(path));
  if (found === undefined) {
    console.error(
      'libfaketime is not installed: apt-get install faketime (Debian/Ubuntu), then run this again',
    );
    process.exit(2);
  }
  return found;
}

function main(): void {
  const args = process.argv.slice(2);
  const offsets = args[0] !== undefined && /^[+@-]/.test(args[0]) ? [args.shift()!] : OFFSETS;
  const files = args;
  const preload = library();
  const failed: string[] = [];
  for (const offset of offsets) {
    const env = {
      ...process.env,
      LD_PRELOAD: preload,
      FAKETIME: offset,
      // Timers and timeouts keep real time; only the calendar moves.
      FAKETIME_DONT_FAKE_MONOTONIC: '1',
    };
    const shown = spawnSync('date', ['-u', '+%Y-%m-%dT%H:%MZ'], { env, encoding: 'utf8' }).stdout.trim();
    console.log(`\nany-date: the machine's clock at ${offset} (${shown})`);
    const run = spawnSync(
      'npx',
      [
        'vitest',
        'run',
        '--project',
        'unit',
        '--project',
        'integration',
        '--reporter=default',
        '--reporter=./scripts/failures-reporter.ts',
        ...files,
      ],
      { env, stdio: 'inherit' },
    );
    if (run.status !== 0) failed.push(offset);
  }
  console.log(
    `\nany-date: ${offsets.length - failed.length} of ${offsets.length} clock offsets passed${failed.length > 0 ? `; failed at ${failed.join(', ')}` : ''}`,
  );
  process.exitCode = failed.length === 0 ? 0 : 1;
}

main();
