/**
 * A vitest reporter that ends the run with one line per failure: a failed test, a file that failed
 * outside its tests (a hook, an import, a timeout) and an unhandled error, each with its first message
 * line. A CI log is often read from its tail only, where vitest's own report has scrolled away.
 */
import { relative } from 'node:path';
import type { Reporter, SerializedError, TestModule } from 'vitest/node';

export default class FailuresReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandled: ReadonlyArray<SerializedError>): void {
    const failures = failureDigest(modules, unhandled);
    if (failures.length > 0) console.log(`\nfailed (${failures.length}):\n${failures.join('\n')}`);
  }
}

/** One line per failed test, file-level error (a hook, an import) and unhandled error, with its first message line. */
export function failureDigest(
  modules: ReadonlyArray<TestModule>,
  unhandled: ReadonlyArray<SerializedError>,
): string[] {
  const first = (errors: ReadonlyArray<SerializedError> | undefined): string =>
    (errors?.[0]?.message ?? '').split('\n')[0]!.slice(0, 300);
  const lines: string[] = [];
  for (const module of modules) {
    const file = relative(process.cwd(), module.moduleId);
    for (const error of module.errors()) lines.push(`  ${file}: ${first([error])}`);
    for (const test of module.children.allTests('failed')) {
      lines.push(`  ${file} > ${test.fullName}: ${first(test.result().errors)}`);
    }
    if (
      module.state() === 'failed' &&
      module.errors().length === 0 &&
      [...module.children.allTests('failed')].length === 0
    ) {
      lines.push(`  ${file}: failed outside any test (a hook or a timeout)`);
    }
  }
  for (const error of unhandled) lines.push(`  unhandled: ${first([error])}`);
  return lines;
}
