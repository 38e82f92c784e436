import { durationMs } from '../config/duration.js';
import type { StagePolicy } from '../protocol/deployment-payload.js';
import { runSmokeChecks } from '../verify/smoke.js';
import { PrometheusSource, watchMetrics, type MetricsSource } from '../verify/metrics.js';
import { describeOutcome, runShellCommand, type CommandRunner } from './command.js';
import type { CheckResult, DeployAttempt } from './types.js';
import { shortSha } from '../text.js';

/** A logger; the Action maps it to `@actions/core`. */
export interface DeployLog {
  info(message: string): void;
  warning(message: string): void;
  /** Loud: an annotation on the run. */
  error(message: string): void;
  group?: <T>(name: string, fn: () => Promise<T>) => Promise<T>;
}

/** What running one attempt needs from the outside world. */
export interface AttemptDeps {
  /** The environment deploy and smoke commands inherit (INPUT_* and OIDC request variables are removed). */
  env: NodeJS.ProcessEnv;
  log: DeployLog;
  /** Receives the deploy command's output as it arrives. */
  onDeployOutput?: (chunk: Buffer, stream: 'stdout' | 'stderr') => void;
  runCommand?: CommandRunner;
  /** The metrics source for a stage's metrics URL (default: Prometheus). */
  metricsSource?: (url: string) => MetricsSource;
  /** First smoke retry delay (default 1s; tests use less). */
  smokeBackoffMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** One deploy to run: the approved release, or a rollback. */
export interface AttemptTarget {
  deploymentId: number;
  sha: string;
  previousSha: string | null;
  pullRequest: number | null;
  /** Set for a rollback: the failed deployment it rolls back. */
  rollbackOf: number | null;
  /** The work tree the commands run in: the checkout of `sha`. */
  workTree: string;
  /** The command and its timeout (deploy.command, or rollback.command for a rollback). */
  command: string;
  timeout: string;
  withMetrics: boolean;
}

/**
 * Variables that let a step ask GitHub for an OIDC token or talk to the runner. Deploy and smoke
 * commands run code under test; they never get them, so nothing they do can speak for the run.
 */
const RUNNER_SECRETS = ['ACTIONS_ID_TOKEN_REQUEST_TOKEN', 'ACTIONS_ID_TOKEN_REQUEST_URL', 'ACTIONS_RUNTIME_TOKEN', 'ACTIONS_RUNTIME_URL', 'ACTIONS_RESULTS_URL', 'ACTIONS_CACHE_URL'];

/** Removes the Action's own inputs (the token among them) and the runner's OIDC/runtime credentials from the environment given to commands. */
export function commandBaseEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('INPUT_') && !RUNNER_SECRETS.includes(k)));
}

/** The variables a deploy (or rollback) command and the smoke commands get; documented in docs/action.md. */
export function stagegateEnv(deps: AttemptDeps, stage: string, t: AttemptTarget): NodeJS.ProcessEnv {
  return {
    ...commandBaseEnv(deps.env),
    ...(t.rollbackOf !== null ? { GITHUB_WORKSPACE: t.workTree } : {}),
    STAGEGATE_ENVIRONMENT: stage,
    STAGEGATE_SHA: t.sha,
    STAGEGATE_PREVIOUS_SHA: t.previousSha ?? '',
    STAGEGATE_DEPLOYMENT_ID: String(t.deploymentId),
    STAGEGATE_PULL_REQUEST: t.pullRequest !== null ? String(t.pullRequest) : '',
    STAGEGATE_ROLLBACK: t.rollbackOf !== null ? 'true' : 'false',
    STAGEGATE_ROLLBACK_OF: t.rollbackOf !== null ? String(t.rollbackOf) : '',
    STAGEGATE_WORKTREE: t.workTree,
  };
}

function firstFailure(checks: CheckResult[]): CheckResult | undefined {
  return checks.find((c) => c.verdict === 'fail');
}

/** Runs the command for one target in its work tree, then its smoke tests and (optionally) metric checks. */
export async function deployAndVerify(deps: AttemptDeps, policy: StagePolicy, t: AttemptTarget): Promise<DeployAttempt> {
  const env = stagegateEnv(deps, policy.name, t);
  const attempt: DeployAttempt = { deploymentId: t.deploymentId, sha: t.sha, deploy: null, smoke: [], metrics: [], reasonCode: 'ok', message: '' };
  const group = deps.log.group ?? (<T>(_name: string, fn: () => Promise<T>) => fn());
  const run = deps.runCommand ?? runShellCommand;
  const what = t.rollbackOf !== null ? 'rollback' : 'deploy';
  const label = t.rollbackOf !== null ? `rollback to ${shortSha(t.sha)}` : `deploy ${shortSha(t.sha)}`;
  const deploy = await group(`stagegate: ${label}: ${t.command}`, () =>
    run({ command: t.command, cwd: t.workTree, env, timeoutMs: durationMs(t.timeout), onOutput: deps.onDeployOutput, tailChars: 4096 }),
  );
  attempt.deploy = deploy;
  if (deploy.timedOut) return { ...attempt, reasonCode: 'deploy-timeout', message: `${what} command timed out after ${t.timeout}` };
  if (deploy.spawnError || deploy.exitCode !== 0) return { ...attempt, reasonCode: 'deploy-failed', message: `${what} command: ${describeOutcome(deploy)}` };

  const smokeChecks = policy.verify?.smoke ?? [];
  if (smokeChecks.length) {
    attempt.smoke = await group(`stagegate: smoke tests (${smokeChecks.length})`, async () => {
      const results = await runSmokeChecks(smokeChecks, {
        cwd: t.workTree,
        env,
        concurrency: policy.verify?.smoke_concurrency ?? 4,
        ...(deps.smokeBackoffMs !== undefined ? { backoffBaseMs: deps.smokeBackoffMs } : {}),
        ...(deps.runCommand ? { runCommand: deps.runCommand } : {}),
        ...(deps.sleep ? { sleep: deps.sleep } : {}),
      });
      for (const r of results) deps.log.info(`  ${r.verdict === 'pass' ? 'pass' : 'FAIL'} ${r.name}: ${r.observed}${r.reason ? ` (${r.reason})` : ''} in ${r.durationMs}ms`);
      return results;
    });
    const bad = firstFailure(attempt.smoke);
    if (bad) return { ...attempt, reasonCode: 'smoke-failed', message: `${bad.name}: ${bad.reason ?? bad.observed}` };
  }

  const metrics = t.withMetrics ? policy.verify?.metrics : undefined;
  if (metrics) {
    const source = (deps.metricsSource ?? ((url: string) => new PrometheusSource(url)))(metrics.url);
    const outcome = await group(`stagegate: metric checks for ${metrics.window}, every ${metrics.interval}`, () =>
      watchMetrics(metrics, source, {
        ...(deps.sleep ? { sleep: deps.sleep } : {}),
        ...(deps.now ? { now: deps.now } : {}),
        onRound: (round, checks) => deps.log.info(`  round ${round + 1}: ${checks.map((c) => `${c.name}=${c.observed}`).join('; ')}`),
      }),
    );
    attempt.metrics = outcome.checks;
    if (outcome.reasonCode !== 'ok') return { ...attempt, reasonCode: outcome.reasonCode, message: outcome.message };
  }
  const parts = [`${what} ${describeOutcome(deploy)}`];
  if (attempt.smoke.length) parts.push(`${attempt.smoke.length} smoke test(s) passed`);
  if (attempt.metrics.length) parts.push(`${attempt.metrics.length} metric check(s) passed`);
  return { ...attempt, reasonCode: 'ok', message: parts.join(', ') };
}
