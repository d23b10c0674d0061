// Sandboxed steps: the code a pipeline runs (test steps, custom build commands) runs under
// bubblewrap, isolated from the runner.
//
// Entry point, for any stage that runs a pipeline's own command:
//
//   const cmd = ctx.deps.sandbox.command({ argv, workspace, cwd, env, mirror });
//   await ctx.run(cmd.argv, { ...cmd.options, timeoutMs });
//
// `command()` is pure: it returns the argv and exec options to hand to the exec door (runner/exec.ts).
// What the step gets:
// - its own PID, mount, IPC and UTS namespaces, in a user namespace as uid/gid 65534 with no
//   capabilities. bubblewrap stays in the process group the exec door made (no --new-session:
//   the group has no terminal anyway), so a cancel or the orphan reaper still reaches all of it:
//   killing the namespace's first process ends every process inside, daemons too;
// - an environment of exactly `env` plus PATH=/usr/local/bin:/usr/bin:/bin and HOME=/home/step
//   (bubblewrap itself starts with that environment too, so /proc/1/environ holds nothing else);
// - the workspace read-write at its own path; with `mirror`, the git mirror the workspace is a
//   worktree of read-only (git works in the workspace), its config replaced by one without the
//   remote URL (which may carry credentials);
// - the system's tools read-only (/usr, /bin, /sbin, /lib*, and of /etc only what programs
//   need to resolve names, find certificates and users); a private /tmp and /home/step, a minimal /dev,
//   a /proc of its own namespace;
// - the network (tests fetch dependencies), but nothing of the runner's files: no kubeconfig, no
//   registry auth, no data folder, no other build's workspace, no Redis password.
// - `builder` (custom build commands only): the builder's image storage read-write, the registry
//   credentials to push (a file, read-only, as REGISTRY_AUTH_FILE), the storage and registries
//   configuration, a private /var/tmp and /sys read-only. Still none of the runner's own secrets.
//   runner/builder-access.ts derives it from the runner's environment. buildah needs to mount,
//   chroot and, for a RUN instruction, setgroups(), which a user namespace of bubblewrap's own
//   (one uid mapped, setgroups denied) refuses. So a builder step's user namespace is made by
//   `unshare --user --map-users=0,0,65536 --map-groups=0,0,65536` (newuidmap/newgidmap, allowed by
//   /etc/subuid and /etc/subgid `root:0:65536`) and bubblewrap runs inside it with every
//   capability of that namespace (--cap-add ALL). The mapping is the identity: uid 0 inside is the
//   runner's root outside, as it must be to share the image storage the runner's own buildah
//   writes. What the step cannot reach is therefore decided by bubblewrap's mount namespace (a
//   fresh root holding only the binds below: none of the runner's files), its PID namespace (no
//   runner process to read /proc/<pid>/environ of) and the capabilities staying in the step's user
//   namespace (no module loading, no host mounts, no ptrace or signals outside, no change to the
//   host network). It needs a runner running as root.
//
// createSandbox() picks the sandbox at runner start: bubblewrap when it works here, for test
// steps and for custom build commands; else the runner refuses to start unless
// SLIPWAY_UNSANDBOXED_STEPS=1, and an opted-out runner says so.
import { constants, existsSync, lstatSync, mkdtempSync, readlinkSync, writeFileSync } from 'node:fs';
import { access, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../core/errors.ts';
import type { Logger } from '../core/logger.ts';
import type { Exec, ExecOptions } from './exec.ts';

/** What a step's git sees of the mirror's config: no remote (its URL may hold credentials). */
const GIT_CONFIG = '[core]\n\trepositoryformatversion = 0\n\tbare = true\n';

export const STEP_PATH = '/usr/local/bin:/usr/bin:/bin';
export const STEP_HOME = '/home/step';
/** The uid and gid a step runs as inside its user namespace (nobody). */
export const STEP_UID = 65534;

export interface BuilderAccess {
  /** The builder's image storage (buildah's graphroot and runroot): read-write. */
  storage: string[];
  /** The registry credentials to push with: bound read-only, given as REGISTRY_AUTH_FILE. */
  authFile?: string;
  /** Configuration files the builder reads (storage.conf, registries.conf): read-only. */
  config?: string[];
  /** Environment the builder needs besides the step's (e.g. CONTAINERS_STORAGE_CONF). */
  env?: Record<string, string>;
}

export interface SandboxStep {
  argv: string[];
  /** The build's workspace: read-write, at its own path. */
  workspace: string;
  /** The working directory, inside the workspace. */
  cwd: string;
  /** The step's whole environment (the pipeline's env and secretEnv, the build metadata). */
  env: Record<string, string>;
  /** The git mirror the workspace is a worktree of (read-only, its config hidden). */
  mirror?: string;
  /** For custom build commands only. */
  builder?: BuilderAccess;
}

export interface SandboxCommand {
  argv: string[];
  options: Required<Pick<ExecOptions, 'cwd' | 'env' | 'cleanEnv'>>;
}

export interface Sandbox {
  readonly kind: 'bubblewrap' | 'none';
  command(step: SandboxStep): SandboxCommand;
  /** The PATH a step's command is looked up on (the one command() gives it). */
  stepPath(): string;
}

/** Where a step finds the program `name`: the first executable file of that name on the sandbox's step PATH. */
export async function stepProgram(sandbox: Sandbox, name: string): Promise<string | undefined> {
  for (const dir of sandbox.stepPath().split(':')) {
    if (!path.isAbsolute(dir)) continue; // a relative entry would depend on the step's working directory
    const file = path.join(dir, name);
    try {
      await access(file, constants.X_OK);
      if ((await stat(file)).isFile()) return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

export interface BubblewrapOptions {
  /** The bwrap binary. Default /usr/bin/bwrap, else bwrap on PATH. */
  bwrap?: string;
  /** The unshare binary (util-linux) making a builder step's user namespace. Default /usr/bin/unshare, else on PATH. */
  unshare?: string;
  /** A git config without remotes, put over the mirror's (createSandbox writes one). */
  gitConfig?: string;
}

/** uids and gids 0..65535 mapped to themselves in a builder step's user namespace (images use that range). */
export const BUILDER_ID_COUNT = 65536;

/** The user namespace of a builder step, made before bubblewrap starts (see the header). */
function builderUserns(unshare: string): string[] {
  return [unshare, '--user', `--map-users=0,0,${BUILDER_ID_COUNT}`, `--map-groups=0,0,${BUILDER_ID_COUNT}`, '--'];
}

/** Top-level system directories bound read-only (a merged-/usr symlink is recreated as a symlink). */
const SYSTEM_DIRS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];
/** What of /etc programs need: name resolution, TLS roots, users and groups, time zone, alternatives. */
const ETC = [
  'resolv.conf',
  'hosts',
  'host.conf',
  'nsswitch.conf',
  'gai.conf',
  'services',
  'protocols',
  'passwd',
  'group',
  'localtime',
  'ssl',
  'ca-certificates',
  'ca-certificates.conf',
  'pki',
  'alternatives',
  'ld.so.cache',
  'ld.so.conf',
  'ld.so.conf.d',
  'mime.types',
];

function systemArgs(): string[] {
  const args: string[] = [];
  for (const dir of SYSTEM_DIRS) {
    let st;
    try {
      st = lstatSync(dir);
    } catch {
      continue;
    }
    if (st.isSymbolicLink()) args.push('--symlink', readlinkSync(dir), dir);
    else if (st.isDirectory()) args.push('--ro-bind', dir, dir);
  }
  for (const name of ETC) {
    const p = path.join('/etc', name);
    if (existsSync(p)) args.push('--ro-bind', p, p);
  }
  return args;
}

function gitArgs(workspace: string, mirror: string | undefined, gitConfig: string | undefined): string[] {
  // without a config to put over the mirror's, the mirror stays out of sight (git will not work)
  if (!mirror || !gitConfig) return [];
  const args = ['--ro-bind', mirror, mirror];
  if (gitConfig) args.push('--ro-bind', gitConfig, path.join(mirror, 'config'));
  // the worktree's own admin folder (HEAD, index) stays writable: git status refreshes the index
  const admin = path.join(mirror, 'worktrees', path.basename(workspace));
  if (existsSync(admin)) args.push('--bind', admin, admin);
  return args;
}

/** A git config without remotes in a private temp folder, for a sandbox made without createSandbox. */
let fallbackGitConfig: string | undefined;
function gitConfigFile(): string {
  if (!fallbackGitConfig) {
    const dir = mkdtempSync(path.join(tmpdir(), 'slipway-sandbox-'));
    fallbackGitConfig = path.join(dir, 'gitconfig');
    writeFileSync(fallbackGitConfig, GIT_CONFIG, { mode: 0o644 });
  }
  return fallbackGitConfig;
}

export function bubblewrapSandbox(opts: BubblewrapOptions = {}): Sandbox {
  const bwrap = opts.bwrap ?? (existsSync('/usr/bin/bwrap') ? '/usr/bin/bwrap' : 'bwrap');
  const unshare = opts.unshare ?? (existsSync('/usr/bin/unshare') ? '/usr/bin/unshare' : 'unshare');
  let system: string[] | undefined;
  const stepPath = () => STEP_PATH;
  return {
    kind: 'bubblewrap',
    stepPath,
    command(step) {
      system ??= systemArgs();
      const builder = step.builder;
      const env: Record<string, string> = { ...step.env, ...builder?.env, PATH: stepPath(), HOME: STEP_HOME };
      const builderArgs: string[] = [];
      if (builder) {
        // buildah keeps its temporary files in /var/tmp; its chroot isolation binds /sys into RUN steps
        builderArgs.push('--tmpfs', '/var/tmp', '--ro-bind', '/sys', '/sys');
        for (const dir of builder.storage) builderArgs.push('--bind', dir, dir);
        for (const file of builder.config ?? []) builderArgs.push('--ro-bind', file, file);
        if (builder.authFile) {
          builderArgs.push('--ro-bind', builder.authFile, builder.authFile);
          env.REGISTRY_AUTH_FILE = builder.authFile;
        }
      }
      const argv = [
        ...(builder ? [...builderUserns(unshare), bwrap, '--cap-add', 'ALL'] : [bwrap, '--unshare-user', '--uid', String(STEP_UID), '--gid', String(STEP_UID)]),
        '--unshare-pid',
        '--unshare-ipc',
        '--unshare-uts',
        '--unshare-cgroup-try',
        '--hostname',
        'step',
        ...system,
        '--proc',
        '/proc',
        '--dev',
        '/dev',
        '--tmpfs',
        '/tmp',
        '--dir',
        STEP_HOME,
        ...gitArgs(step.workspace, step.mirror, step.mirror ? (opts.gitConfig ?? gitConfigFile()) : undefined),
        '--bind',
        step.workspace,
        step.workspace,
        ...builderArgs,
        '--chdir',
        step.cwd,
        '--',
        ...step.argv,
      ];
      // bubblewrap gets the step's environment, not the runner's: its /proc/1/environ is the step's own
      return { argv, options: { cwd: step.workspace, env, cleanEnv: true } };
    },
  };
}

/** Steps as plain children of the runner (SLIPWAY_UNSANDBOXED_STEPS=1): still a clean environment. */
export function unsandboxed(): Sandbox {
  const stepPath = () => process.env.PATH ?? STEP_PATH;
  return {
    kind: 'none',
    stepPath,
    command(step) {
      const env: Record<string, string> = { ...step.env, ...step.builder?.env, PATH: stepPath(), HOME: process.env.HOME ?? STEP_HOME };
      if (step.builder?.authFile) env.REGISTRY_AUTH_FILE = step.builder.authFile;
      return { argv: step.argv, options: { cwd: step.cwd, env, cleanEnv: true } };
    },
  };
}

export interface CreateSandboxOptions {
  /** Where the runner keeps its files (the sandbox's own go in <workdir>/sandbox). */
  workdir: string;
  exec: Exec;
  log: Logger;
  env?: NodeJS.ProcessEnv;
  bwrap?: string;
  unshare?: string;
}

function lastLines(err: unknown): string {
  return err instanceof Error ? err.message.split('\n').slice(-3).join(' ') : String(err);
}

/**
 * The sandbox of this runner: bubblewrap, tried once here (a step that cannot be isolated must not
 * run at all); SLIPWAY_UNSANDBOXED_STEPS=1 opts out. Throws a ConfigError saying how to fix it.
 */
export async function createSandbox(opts: CreateSandboxOptions): Promise<Sandbox> {
  const env = opts.env ?? process.env;
  if (env.SLIPWAY_UNSANDBOXED_STEPS === '1') {
    opts.log.warn({ variable: 'SLIPWAY_UNSANDBOXED_STEPS' }, 'steps run UNSANDBOXED: the code a pipeline runs can read the runner\'s files and reach what the runner reaches');
    return unsandboxed();
  }
  const dir = path.join(opts.workdir, 'sandbox');
  await mkdir(dir, { recursive: true });
  const gitConfig = path.join(dir, 'gitconfig');
  if ((await readFile(gitConfig, 'utf8').catch(() => '')) !== GIT_CONFIG) await writeFile(gitConfig, GIT_CONFIG, { mode: 0o644 });
  const sandbox = bubblewrapSandbox({ ...(opts.bwrap ? { bwrap: opts.bwrap } : {}), ...(opts.unshare ? { unshare: opts.unshare } : {}), gitConfig });
  const optOut = 'or set SLIPWAY_UNSANDBOXED_STEPS=1 to run steps unsandboxed (they can then read the runner\'s files and secrets).';
  const probe = sandbox.command({ argv: ['/bin/sh', '-c', `test "$(id -u)" = ${STEP_UID}`], workspace: dir, cwd: dir, env: {} });
  // a custom build command's sandbox: uid 0 with the uid range images use, and setgroups() allowed (buildah's RUN calls it)
  const builderProbe = sandbox.command({ argv: ['/bin/sh', '-c', 'test "$(id -u)" = 0 && setpriv --groups=0 true'], workspace: dir, cwd: dir, env: {}, builder: { storage: [] } });
  // both at once (two short processes); a step's sandbox failing is said first
  const [step, builder] = await Promise.allSettled([
    opts.exec(probe.argv, { ...probe.options, timeoutMs: 15_000 }),
    opts.exec(builderProbe.argv, { ...builderProbe.options, timeoutMs: 15_000 }),
  ]);
  if (step.status === 'rejected') {
    throw new ConfigError(`steps cannot be sandboxed here (bubblewrap: ${lastLines(step.reason)}). Install bubblewrap (apt-get install bubblewrap) and allow user namespaces, ${optOut}`);
  }
  if (builder.status === 'rejected') {
    throw new ConfigError(
      `custom build commands cannot be sandboxed here (unshare --map-users=0,0,${BUILDER_ID_COUNT} and bubblewrap: ${lastLines(builder.reason)}). ` +
        `Run the runner as root with the uidmap package (newuidmap, newgidmap) and util-linux installed and the line root:0:${BUILDER_ID_COUNT} in /etc/subuid and in /etc/subgid, ${optOut}`,
    );
  }
  opts.log.info({ sandbox: 'bubblewrap' }, 'steps run sandboxed');
  return sandbox;
}
