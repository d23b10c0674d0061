// The one door for subprocesses: argv arrays (never a shell), an explicit env, a timeout, the
// whole process group killed on cancel or timeout, output streamed line by line with secrets
// masked, and a ChildProcessError carrying the (masked) command and the tail of its output.
import { spawn } from 'node:child_process';
import { CancelledError, ChildProcessError } from '../core/errors.ts';
import { createLineSplitter, createMasker } from './mask.ts';

export interface ExecOptions {
  cwd?: string;
  /**
   * Environment of the child. Merged over process.env (so PATH, HOME, KUBECONFIG,
   * REGISTRY_AUTH_FILE reach helm and buildah); a value of `undefined` removes a variable.
   * With `cleanEnv: true` the child gets only PATH, HOME and these.
   */
  env?: Record<string, string | undefined>;
  cleanEnv?: boolean;
  /** Kill the process group after this long; the error says "timed out". */
  timeoutMs?: number;
  /** On abort, the process group gets SIGTERM, then SIGKILL after `killGraceMs`. */
  signal?: AbortSignal;
  killGraceMs?: number;
  /** The first signal sent on abort or timeout (default SIGTERM; SIGKILL skips the grace). */
  killSignal?: NodeJS.Signals;
  /** Every output line, already masked, as it arrives. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Values masked (with their base64 and URL-encoded forms) in lines, results and errors. */
  secrets?: string[];
  /** Written to stdin, which is then closed. Without it stdin is /dev/null. */
  input?: string;
  /** Resolve with the exit code instead of throwing on a non-zero exit. */
  allowFailure?: boolean;
  /** Characters of stdout and of stderr kept in the result (the rest is dropped, the stream still flows). */
  maxBuffer?: number;
  /** Marks the ChildProcessError as transient (retryable), e.g. a registry push. Default permanent. */
  transient?: boolean;
  /** Told the pid (= process group id) once the child started: the runner's orphan registry uses it. */
  onSpawn?: (pid: number) => void;
  /**
   * The command starts a daemon meant to outlive it (redis-server with `daemonize yes`): what it
   * leaves in its process group when it exits is not killed. Abort and timeout still kill the group.
   * The daemon must let go of stdout and stderr, or the command only ends when the daemon does.
   */
  startsDaemon?: boolean;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export type Exec = (argv: string[], options?: ExecOptions) => Promise<ExecResult>;

const TAIL_LINES = 20;
const DEFAULT_MAX_BUFFER = 4 * 1024 * 1024;

function childEnv(options: ExecOptions): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = options.cleanEnv ? { PATH: process.env.PATH, HOME: process.env.HOME } : { ...process.env };
  for (const [k, v] of Object.entries(options.env ?? {})) {
    if (v === undefined) delete base[k];
    else base[k] = v;
  }
  return base;
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is already gone
  }
}

export const exec: Exec = (argv, options = {}) => {
  const mask = createMasker(options.secrets ?? []);
  const shownArgv = argv.map(mask);
  const [file, ...args] = argv;
  if (!file) return Promise.reject(new TypeError('exec: argv must not be empty'));
  if (options.signal?.aborted) return Promise.reject(new CancelledError(`cancelled before ${shownArgv[0]} started`));
  const maxBuffer = options.maxBuffer ?? DEFAULT_MAX_BUFFER;

  return new Promise<ExecResult>((resolve, reject) => {
    // detached: the child leads its own process group, so kill(-pid) reaches its children too.
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: childEnv(options),
      detached: true,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      shell: false,
    });
    const out = { stdout: '', stderr: '' };
    const tail: string[] = [];
    let timedOut = false;
    let cancelled = false;
    let graceTimer: NodeJS.Timeout | undefined;

    const collect = (stream: 'stdout' | 'stderr') => (line: string) => {
      if (out[stream].length < maxBuffer) out[stream] += `${line}\n`;
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
      options.onLine?.(line, stream);
    };
    const splitters = {
      stdout: createLineSplitter(mask, collect('stdout')),
      stderr: createLineSplitter(mask, collect('stderr')),
    };
    child.stdout?.setEncoding('utf8').on('data', (c: string) => splitters.stdout.push(c));
    child.stderr?.setEncoding('utf8').on('data', (c: string) => splitters.stderr.push(c));

    const stop = () => {
      killGroup(child.pid, options.killSignal ?? 'SIGTERM');
      graceTimer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), options.killGraceMs ?? 5000);
      graceTimer.unref();
    };
    const onAbort = () => {
      cancelled = true;
      stop();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const timer =
      options.timeoutMs !== undefined
        ? setTimeout(() => {
            timedOut = true;
            stop();
          }, options.timeoutMs)
        : undefined;

    if (options.input !== undefined && child.stdin) {
      child.stdin.on('error', () => undefined); // the child may exit without reading it
      child.stdin.end(options.input);
    }

    // The leader exiting is the end of the command: anything it left running in its group is
    // killed, so a step cannot leave a daemon behind that holds our pipes open. A daemon's own
    // fork is still in the leader's group until it calls setsid(), so one started on purpose
    // must not be killed here: it would die or live by a race.
    if (!options.startsDaemon) child.on('exit', () => killGroup(child.pid, 'SIGKILL'));
    child.on('spawn', () => {
      if (child.pid !== undefined) options.onSpawn?.(child.pid);
    });

    const finish = (err: Error | undefined, exitCode: number | null, sig: NodeJS.Signals | null) => {
      if (timer) clearTimeout(timer);
      if (graceTimer) clearTimeout(graceTimer);
      options.signal?.removeEventListener('abort', onAbort);
      splitters.stdout.flush();
      splitters.stderr.flush();
      if (err) {
        reject(new ChildProcessError({ command: shownArgv, tail: [mask(err.message)] }));
        return;
      }
      if (cancelled) {
        reject(new CancelledError(`cancelled: ${shownArgv.join(' ')} was stopped`));
        return;
      }
      const code = exitCode ?? -1;
      if (!timedOut && (code === 0 || (options.allowFailure && sig === null))) {
        resolve({ exitCode: code, stdout: out.stdout, stderr: out.stderr });
        return;
      }
      reject(
        new ChildProcessError({
          command: shownArgv,
          exitCode: exitCode ?? undefined,
          signal: sig ?? undefined,
          timedOut,
          tail: [...tail],
          permanent: !options.transient,
        }),
      );
    };
    let spawnError: Error | undefined;
    child.on('error', (err) => {
      spawnError = err;
      // 'close' may not follow a spawn failure
      if (child.pid === undefined) finish(err, null, null);
    });
    child.on('close', (code, sig) => {
      if (child.pid === undefined) return;
      finish(spawnError, code, sig);
    });
  });
};

export interface RecordedCall {
  argv: string[];
  options: ExecOptions;
}

/** Wraps an Exec and records every call (argv as given, unmasked): tests assert the exact argv at the door. */
export function recordingExec(inner: Exec = exec): { exec: Exec; calls: RecordedCall[] } {
  const calls: RecordedCall[] = [];
  return {
    calls,
    exec: (argv, options = {}) => {
      calls.push({ argv: [...argv], options });
      return inner(argv, options);
    },
  };
}
