/**
 * Starts the local AWS emulator: moto server with keyrot's extension (emulator/launcher.py), bound to
 * loopback. Used by the integration tests' global setup, `npm run emulator`, the demo and the bench.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { iamGatewayBundle } from './iam/bundle.js';

export { emulatorClock } from './clock-client.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(HERE);
const LAUNCHER = join(HERE, 'launcher.py');
const MOTO = 'moto[server]==5.2.1';
const VENV = join(ROOT, '.cache', 'moto-venv');
const VENV_PYTHON = join(VENV, 'bin', 'python');
const LOOPBACK = ['127.0.0.1', 'localhost', '::1'];
const STDERR_KEPT = 20_000;

export interface Emulator {
  /** http://HOST:PORT, for the SDK's `endpoint` or AWS_ENDPOINT_URL. */
  endpoint: string;
  port: number;
  /** Whether the server and the Lambda containers it runs share a simulated clock (see emulatorClock). */
  simulatedClock: boolean;
  /** Ends the server (and its process group) and resolves once it has exited. */
  stop(): Promise<void>;
}

export interface EmulatorOptions {
  /** A fixed port; absent or 0: a free loopback port. */
  port?: number;
  /** A loopback address: 127.0.0.1 (default), localhost or ::1. */
  host?: string;
  /**
   * Receives progress and the server's own output, line by line: with it, the server writes its request
   * log too (without, it logs only errors, which stop() and a failed start report).
   */
  log?: (line: string) => void;
  /** How long to wait for the server to answer (default 30 s). */
  startTimeoutMs?: number;
  /**
   * Run the server (and every Lambda container it starts) on a simulated clock that emulatorClock()
   * moves (POST /_keyrot/clock); a date starts it there. Without it the clock is the real one.
   */
  clock?: boolean | Date;
  /** Extra environment for the server (KEYROT_ROTATION_ATTEMPTS and the like, see emulator/README.md). */
  env?: Record<string, string>;
}

function canImportMoto(python: string): boolean {
  const r = spawnSync(python, ['-c', 'import moto.server, moto.apigateway, moto.secretsmanager'], {
    stdio: 'ignore',
  });
  return r.status === 0;
}

/**
 * A Python that can `import moto.server`: $KEYROT_PYTHON, else python3, else the project's own
 * virtual env (.cache/moto-venv), which is created with `python3 -m venv` and given moto[server]==5.2.1
 * by pip when missing.
 */
export function findPython(log: (line: string) => void = () => {}): string {
  // Found once per process tree (the workers of a test run inherit it): the check imports moto, two
  // CPU-seconds, and a test run starts a server for each of some twenty files.
  const found = process.env[FOUND_PYTHON];
  if (found !== undefined && found !== '') return found;
  const python = locatePython(log);
  process.env[FOUND_PYTHON] = python;
  return python;
}

const FOUND_PYTHON = 'KEYROT_FOUND_PYTHON';

function locatePython(log: (line: string) => void): string {
  const candidates = [process.env.KEYROT_PYTHON, 'python3', VENV_PYTHON];
  for (const candidate of candidates) {
    if (candidate !== undefined && candidate !== '' && canImportMoto(candidate)) return candidate;
  }
  log(`moto is not importable by python3; installing ${MOTO} into ${VENV}`);
  if (!existsSync(VENV_PYTHON)) {
    const venv = spawnSync('python3', ['-m', 'venv', VENV], { stdio: ['ignore', 'inherit', 'inherit'] });
    if (venv.status !== 0) {
      throw new Error(`python3 -m venv ${VENV} failed: install Python 3 (3.9 or later) with its venv module`);
    }
  }
  const pip = spawnSync(VENV_PYTHON, ['-m', 'pip', 'install', '--quiet', MOTO], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (pip.status !== 0 || !canImportMoto(VENV_PYTHON)) {
    throw new Error(`pip install '${MOTO}' into ${VENV} failed (is PyPI reachable?)`);
  }
  return VENV_PYTHON;
}

/** A port that was free on `host` a moment ago. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * The server's environment when this process runs under libfaketime (npm run test:any-date moves the
 * machine's clock with it): not preloaded into Python, where its pthread_cond_timedwait makes every
 * GIL handoff several times slower (a run of the suite took three times as long) and time.sleep fail
 * (EINVAL). The server takes the machine's time instead: KEYROT_MACHINE_NOW starts its own clock at
 * this process's (shifted) now, so what it dates agrees with the machine's clock as before.
 */
export function withoutFaketime(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  if (!(env.LD_PRELOAD ?? '').includes('faketime')) return env;
  const kept = Object.fromEntries(
    Object.entries(env).filter(([name]) => name !== 'LD_PRELOAD' && !name.startsWith('FAKETIME')),
  );
  return { ...kept, KEYROT_MACHINE_NOW: new Date().toISOString() };
}

const exited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

async function waitUntilUp(
  endpoint: string,
  child: ChildProcess,
  stderr: () => string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited(child)) {
      throw new Error(
        `the emulator (moto server) exited with ${child.exitCode ?? child.signalCode} before answering on ${endpoint}; its stderr ends with:\n${stderr().slice(-2000)}`,
      );
    }
    try {
      // moto's own dashboard API: answers once the WSGI app serves requests.
      const res = await fetch(`${endpoint}/moto-api/data.json`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `the emulator (moto server) did not answer on ${endpoint} within ${timeoutMs} ms; its stderr ends with:\n${stderr().slice(-2000)}`,
  );
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal); // the launcher and anything it started
  } catch {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

/**
 * Watches a process started in a process group of its own: its output to `log` line by line, the tail
 * of its stderr kept for error messages, and stop(): SIGTERM to the group, SIGKILL 5 s later, once.
 */
function supervise(
  child: ChildProcess,
  log: (line: string) => void,
): { stderr: () => string; stop: () => Promise<void> } {
  let stderr = '';
  const forward = (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n')) if (line.trim() !== '') log(line);
  };
  child.stdout?.on('data', forward);
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-STDERR_KEPT);
    forward(chunk);
  });
  const gone = new Promise<void>((resolve) => {
    if (exited(child)) resolve();
    else child.once('exit', () => resolve());
  });
  child.once('error', (error) => {
    stderr += `\n${String(error)}`;
  });
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      if (!exited(child)) {
        signalGroup(child, 'SIGTERM');
        const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), 5000);
        await gone;
        clearTimeout(timer);
      }
      child.stdout?.destroy();
      child.stderr?.destroy();
    })();
    return stopping;
  };
  return { stderr: () => stderr, stop };
}

async function launch(
  python: string,
  host: string,
  port: number,
  options: EmulatorOptions,
): Promise<Emulator> {
  const log = options.log ?? (() => {});
  const simulated = options.clock !== undefined && options.clock !== false;
  const clock: Record<string, string> = simulated
    ? {
        KEYROT_SIMULATED_CLOCK: '1',
        ...(options.clock instanceof Date && { KEYROT_CLOCK_START: options.clock.toISOString() }),
      }
    : {};
  // The emulator's IAM (emulator/iam/), bundled for the Lambda containers; KEYROT_IAM=off leaves it out.
  const iamOff = (options.env?.KEYROT_IAM ?? process.env.KEYROT_IAM) === 'off';
  const iam = iamOff ? {} : { KEYROT_IAM_GATEWAY: await iamGatewayBundle() };
  const child = spawn(python, [LAUNCHER, '-H', host, '-p', String(port)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group, so stop() ends everything it started; it also exits when we are gone.
    detached: true,
    env: {
      ...withoutFaketime(process.env),
      MOTO_PORT: String(port),
      PYTHONDONTWRITEBYTECODE: '1',
      PYTHONUNBUFFERED: '1',
      KEYROT_PARENT_PID: String(process.pid),
      KEYROT_REQUEST_LOG: options.log === undefined ? '0' : '1',
      ...iam,
      ...options.env,
      ...clock,
    },
  });
  const { stderr, stop } = supervise(child, log);
  const endpoint = `http://${host === '::1' ? '[::1]' : host}:${port}`;

  try {
    await waitUntilUp(endpoint, child, stderr, options.startTimeoutMs ?? 30_000);
  } catch (error) {
    await stop();
    throw error;
  }
  log(`emulator listening on ${endpoint} (pid ${child.pid})`);
  return { endpoint, port, stop, simulatedClock: simulated };
}

/** Starts moto server with keyrot's extension on a loopback port; stop() ends it. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const host = options.host ?? '127.0.0.1';
  if (!LOOPBACK.includes(host)) throw new Error(`the emulator binds loopback only, not ${host}`);
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`not a port: ${port}`);
  const python = findPython(options.log);
  if (port !== 0) return launch(python, host, port, options);
  // A free port can be taken between the check and the bind: try another one a few times.
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await launch(python, host, await freePort(host), options);
    } catch (error) {
      lastError = error;
      if (!/Address already in use/i.test(String(error))) throw error;
    }
  }
  throw lastError;
}

export interface ForkServer {
  /** The Unix socket: KEYROT_FORK_SERVER for the launchers that should use it. */
  socket: string;
  /** Ends the fork server (the emulators forked from it end with their starters, as any emulator). */
  stop(): Promise<void>;
}

/**
 * Starts the emulators' fork server (emulator/fork_server.py): a process that has imported moto once,
 * from which every emulator started with KEYROT_FORK_SERVER=socket in its environment is forked instead
 * of importing moto afresh (most of a server's start). The integration tests' global setup runs one
 * for the test files that start emulators of their own.
 */
export async function startForkServer(options: { log?: (line: string) => void } = {}): Promise<ForkServer> {
  const python = findPython(options.log);
  const dir = mkdtempSync(join(tmpdir(), 'keyrot-forks-'));
  const socket = join(dir, 'emulators.sock');
  const child = spawn(python, [LAUNCHER, '--fork-server', socket], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
    env: {
      ...withoutFaketime(process.env),
      PYTHONDONTWRITEBYTECODE: '1',
      PYTHONUNBUFFERED: '1',
      KEYROT_PARENT_PID: String(process.pid),
    },
  });
  const supervised = supervise(child, options.log ?? (() => {}));
  const stop = async () => {
    await supervised.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  while (!existsSync(socket)) {
    if (exited(child) || Date.now() > deadline) {
      await stop();
      throw new Error(
        `the emulators' fork server did not start; its stderr ends with:\n${supervised.stderr().slice(-2000)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  options.log?.(`emulators' fork server on ${socket} (pid ${child.pid})`);
  return { socket, stop };
}
