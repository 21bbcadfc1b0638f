import { createServer, type AddressInfo, type Socket } from 'node:net';
import type { SdkPlugin } from '../../functions/commons/clients.js';

/**
 * Calls that change the state of keys, plans and secrets. Signals are counted apart: the metrics
 * heartbeat (PutMetricData) goes out every run, and so do events for standing findings (PutEvents).
 */
export function isWriteCall(commandName: string): boolean {
  return (
    /^(Create|Update|Delete|Put|Tag|Untag|Rotate|Import|Restore|Cancel)/.test(commandName) &&
    !['PutMetricDataCommand', 'PutEventsCommand', 'PutObjectCommand'].includes(commandName)
  );
}

export interface CallRecord {
  command: string;
  input: unknown;
}

/** Records every command sent through the clients it is plugged into. */
export class CallRecorder {
  readonly calls: CallRecord[] = [];

  plugin(): SdkPlugin {
    return {
      applyToStack: (stack) => {
        stack.add(
          (next, context) => async (args) => {
            this.calls.push({ command: String(context.commandName), input: args.input });
            return next(args);
          },
          { step: 'initialize', name: 'keyrotCallRecorder' },
        );
      },
    };
  }

  writes(): CallRecord[] {
    return this.calls.filter((c) => isWriteCall(c.command));
  }

  count(command: string): number {
    return this.calls.filter((c) => c.command === command).length;
  }

  reset(): void {
    this.calls.length = 0;
  }
}

export class SimulatedCrash extends Error {
  override name = 'SimulatedCrash';
}

export interface CrashPoint {
  /** The n-th write call (1-based) of the run. */
  write: number;
  when: 'before' | 'after';
}

/** The process dies right after `command` answered: every later call of the run fails. */
export function crashAfter(command: string): SdkPlugin {
  let dead = false;
  return {
    applyToStack: (stack) =>
      stack.add(
        (next, context) => async (args) => {
          if (dead) throw new SimulatedCrash(`process stopped before ${String(context.commandName)}`);
          const result = await next(args);
          if (context.commandName === command) {
            dead = true;
            throw new SimulatedCrash(`crash after ${command}`);
          }
          return result;
        },
        { step: 'initialize', name: `crashAfter${command}` },
      ),
  };
}

/**
 * Stops the "process" at one write call: the call is not sent (before) or its answer is lost (after),
 * and every later call of the run fails too, as if the Lambda had died there.
 */
export class Crasher {
  private writes = 0;
  dead = false;
  crashedAt: string | undefined;

  constructor(private readonly point: CrashPoint) {}

  plugin(): SdkPlugin {
    return {
      applyToStack: (stack) => {
        stack.add(
          (next, context) => async (args) => {
            const command = String(context.commandName);
            if (this.dead) throw new SimulatedCrash(`process stopped before ${command}`);
            if (!isWriteCall(command)) return next(args);
            this.writes++;
            if (this.writes === this.point.write && this.point.when === 'before') {
              this.dead = true;
              this.crashedAt = command;
              throw new SimulatedCrash(`crash before ${command}`);
            }
            const result = await next(args);
            if (this.writes === this.point.write && this.point.when === 'after') {
              this.dead = true;
              this.crashedAt = command;
              throw new SimulatedCrash(`crash after ${command}`);
            }
            return result;
          },
          { step: 'initialize', name: 'keyrotCrasher' },
        );
      },
    };
  }
}

type Handler = Parameters<Parameters<Parameters<SdkPlugin['applyToStack']>[0]['add']>[0]>[0];
type Args = Parameters<Handler>[0];

/** Which request an attempt belongs to (its index among the plugin's requests, from 0) and which try it is (from 1). */
interface AttemptOf {
  /** Every attempt the plugin saw, counted from 1. */
  attempt: number;
  request: number;
  try: number;
}

/**
 * A plugin that sees every API Gateway and Secrets Manager attempt inside the SDK's retry loop, so
 * retries meet the fault too. Faults are chosen by request and try (the SDK's invocation id and its
 * `amz-sdk-request: attempt=N` header), never by a count across requests: concurrent calls interleave
 * their attempts differently on a busy machine, and a fault chosen by the global count could then hit
 * every try of one call.
 */
function perAttempt(
  name: string,
  fault: (at: AttemptOf, next: Handler, args: Args) => Promise<unknown>,
): SdkPlugin {
  let attempts = 0;
  const requests = new Map<string, number>();
  return {
    applyToStack: (stack) => {
      stack.add(
        (next, context) => async (args) => {
          if (!/APIGateway|SecretsManager/.test(String(context.clientName))) return next(args);
          const headers = (args.request as { headers?: Record<string, string> }).headers ?? {};
          const invocation = headers['amz-sdk-invocation-id'] ?? `attempt-${attempts + 1}`;
          if (!requests.has(invocation)) requests.set(invocation, requests.size);
          const tryNumber = Number(/attempt=(\d+)/.exec(headers['amz-sdk-request'] ?? '')?.[1] ?? 1);
          const at = { attempt: ++attempts, request: requests.get(invocation)!, try: tryNumber };
          return fault(at, next as Handler, args) as ReturnType<typeof next>;
        },
        { step: 'finalizeRequest', priority: 'low', name },
      );
    },
  };
}

/**
 * Answers a share of API Gateway and Secrets Manager requests with 429 TooManyRequestsException, as
 * AWS does under load: each request whose number falls in the pattern is throttled on its first try
 * (the first of the pattern on its second try too), so its retries meet it and then get through.
 * Deterministic whatever the interleaving of concurrent calls: a test never depends on luck.
 */
export class Throttler {
  attempts = 0;
  throttled = 0;

  constructor(private readonly pattern: number[] = [0, 3, 6]) {}

  plugin(): SdkPlugin {
    return perAttempt('keyrotThrottler', async (at, next, args) => {
      this.attempts = at.attempt;
      const slot = at.request % 10;
      const tries = slot === this.pattern[0] ? 2 : 1;
      if (!this.pattern.includes(slot) || at.try > tries) return next(args);
      this.throttled++;
      throw Object.assign(new Error('Too Many Requests (injected)'), {
        name: 'TooManyRequestsException',
        $fault: 'client',
        $metadata: { httpStatusCode: 429 },
      });
    });
  }
}

/** A TCP server that accepts connections and never answers: where a stalled attempt goes. */
export async function startTarpit(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Times out a share of API Gateway and Secrets Manager attempts, the two ways a network does it:
 * a stalled attempt goes to the tarpit and the SDK's requestTimeout ends it (AWS never saw it), and
 * a lost answer reaches the emulator, which acts, and then fails as a timeout (AWS acted; the caller
 * can't know). Deterministic by request (its first try); inside the SDK's retry loop, so retries meet it too.
 */
export class TimeoutInjector {
  attempts = 0;
  stalled = 0;
  lost = 0;

  constructor(
    private readonly tarpitPort: number,
    private readonly stallAt: number[] = [0, 7],
    private readonly loseAt: number[] = [4],
  ) {}

  plugin(): SdkPlugin {
    return perAttempt('keyrotTimeouts', async (at, next, args) => {
      this.attempts = at.attempt;
      // By request, on its first try: its retry gets through whatever else runs at the same time.
      const slot = at.try === 1 ? at.request % 10 : -1;
      if (this.stallAt.includes(slot)) {
        this.stalled++;
        // A copy: the retry loop sends the same request object again.
        const request = args.request as object;
        const stalled: unknown = Object.assign(
          Object.create(Object.getPrototypeOf(request) as object),
          request,
          {
            port: this.tarpitPort,
          },
        );
        return next({ ...args, request: stalled });
      }
      const result = await next(args);
      if (this.loseAt.includes(slot)) {
        this.lost++;
        throw Object.assign(new Error('the answer was lost after the request was sent (injected)'), {
          name: 'TimeoutError',
        });
      }
      return result;
    });
  }
}
