// A deployer puts a build into its environment's namespace: helm (helm-plan.ts) and kubectl
// (kubectl.ts), one file each in this folder, made for a plan's deploys by plan-deployers.ts. The deploy stage
// holds the namespace's lock, prepares the environment, runs each deployer in turn and records
// the result; a deployer knows only its own tool.
import type { ExecOptions, ExecResult } from '../exec.ts';

export type Run = (argv: string[], options?: ExecOptions) => Promise<ExecResult>;

/** Where and with what a deployer deploys. Known before the namespace's lock is taken. */
export interface DeployTarget {
  namespace: string;
  /** The checkout: charts, manifests and values files resolve inside it. */
  workspace: string;
  /** The exec door for deploy commands: the build's log and secrets, never its cancel signal. */
  run: Run;
  /** Writes a line to the build log. */
  line(text: string): void;
}

export interface Deployer {
  /** 'helm', 'kubectl', ... for the log. */
  readonly kind: string;
  /** Names recorded on the environment that teardown uninstalls (helm releases); [] if none. */
  readonly releases: readonly string[];
  /**
   * Deploys into the target's namespace. Runs under the namespace's lock with the environment
   * prepared; throws a DeployError whose message is the reason shown on the build.
   */
  deploy(): Promise<void>;
}
