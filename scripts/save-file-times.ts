/**
 * Keeps the test files' times of the last full run (.cache/file-times.json, written by
 * scripts/file-times-reporter.ts) as test/file-times.json, which orders a fresh clone's run
 * (scripts/duration-sequencer.ts). Run after `npm run check` when files were added or got slower.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { KNOWN_TIMES } from './duration-sequencer.js';
import { FILE_TIMES, type FileTime } from './file-times-reporter.js';

const times = JSON.parse(readFileSync(FILE_TIMES, 'utf8')) as FileTime[];
const rows = times.map(({ project, file, seconds }) => ({ project, file, seconds }));
writeFileSync(KNOWN_TIMES, `${JSON.stringify(rows, null, 2)}\n`);
console.log(`${KNOWN_TIMES}: ${rows.length} files`);
