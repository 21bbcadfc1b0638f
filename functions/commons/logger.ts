import { Logger } from '@aws-lambda-powertools/logger';
import type { ConstructorOptions } from '@aws-lambda-powertools/logger/types';

interface PrintableLogItem {
  prepareForPrint(): void;
  getAttributes(): unknown;
}

/**
 * Powertools Logger whose lines go to a sink instead of stdout: the CLI sends them to stderr
 * so that `--json` output stays clean, and tests capture them to scan for key values.
 */
export class SinkLogger extends Logger {
  readonly #sink: (line: string) => void;

  constructor(sink: (line: string) => void, options: ConstructorOptions = {}) {
    super(options);
    this.#sink = sink;
  }

  protected override printLog(_logLevel: number, log: PrintableLogItem): void {
    log.prepareForPrint();
    this.#sink(JSON.stringify(log.getAttributes()));
  }
}

export function createLogger(options: { sink?: (line: string) => void; level?: string } = {}): Logger {
  // Without an explicit level, Powertools reads POWERTOOLS_LOG_LEVEL (or the Lambda's log level).
  const base: ConstructorOptions = {
    serviceName: 'keyrot',
    ...(options.level !== undefined && { logLevel: options.level as ConstructorOptions['logLevel'] }),
  };
  return options.sink === undefined ? new Logger(base) : new SinkLogger(options.sink, base);
}
