/**
 * `npm run emulator [-- --port N] [--verbose]`: the local AWS emulator (moto server with keyrot's
 * extension) on loopback, for the CLI, the AWS CLI or your own scripts. Stops on Ctrl-C (SIGINT) or
 * SIGTERM.
 */
import { parseArgs } from 'node:util';
import { startEmulator } from './start.js';

const USAGE = `usage: npm run emulator -- [--port N] [--verbose]
  --port N     listen on 127.0.0.1:N (default: a free port)
  --verbose    print the server's request log`;

function options(): { port: number; verbose: boolean } {
  try {
    const { values } = parseArgs({
      options: {
        port: { type: 'string', short: 'p', default: '0' },
        verbose: { type: 'boolean', short: 'v', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    if (values.help) {
      console.log(USAGE);
      process.exit(0);
    }
    const port = Number(values.port);
    if (!/^\d+$/.test(values.port) || port > 65535) {
      throw new Error(`--port ${JSON.stringify(values.port)} is not a port number (0 picks a free one)`);
    }
    return { port, verbose: values.verbose };
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n${USAGE}`);
    process.exit(2);
  }
}

const { port, verbose } = options();
let emulator;
try {
  emulator = await startEmulator({ port, log: verbose ? (line) => console.error(line) : undefined });
} catch (error) {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
}
const { endpoint } = emulator;
console.log(`KEYROT emulator listening on ${endpoint}`);
console.log('Point the SDK, the AWS CLI or keyrot at it, with any credentials:');
console.log(`  export AWS_ENDPOINT_URL=${endpoint}`);
console.log('  export AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test');
console.log(`  npx keyrot plan --endpoint-url ${endpoint}`);
console.log('Every request goes to account 123456789012 unless it sends the header x-moto-account-id.');
console.log('Stop with Ctrl-C.');

let stopping = false;
const stop = (signal: NodeJS.Signals) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping the emulator`);
  void emulator.stop().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
