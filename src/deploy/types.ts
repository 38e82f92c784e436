import type { DeployResult, ReasonCode } from '../protocol/status.js';

export type { DeployResult, ReasonCode } from '../protocol/status.js';

/** The verdict of one check. */
export type Verdict = 'pass' | 'fail';

/** The result of one smoke test or metric check, as shown in the report table. */
export interface CheckResult {
  /** `http` and `command` are smoke tests; `metric` is a metric check. */
  kind: 'http' | 'command' | 'metric';
  name: string;
  verdict: Verdict;
  /** What was observed, short (e.g. `HTTP 200`, `exit 0`, `max 0.12 (5 samples)`). */
  observed: string;
  /** What was expected, short (e.g. `status 200, body contains "ok"`, `≤ 0.01`). */
  threshold: string;
  durationMs: number;
  /** Why it failed, when it failed. */
  reason?: string;
  /** Raw evidence: status, body head, exit code, output tail, observed values. */
  evidence: Record<string, unknown>;
}

/** The outcome of running a deploy command. */
export interface CommandOutcome {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  durationMs: number;
  /** The last bytes of stdout and stderr, interleaved as they arrived. */
  outputTail: string;
  /** Set when the command could not be started. */
  spawnError?: string;
}

/** One deploy (the original or the rollback) with its verification. */
export interface DeployAttempt {
  deploymentId: number;
  sha: string;
  deploy: CommandOutcome | null;
  smoke: CheckResult[];
  metrics: CheckResult[];
  /** `ok` or the failure reason of this attempt. */
  reasonCode: ReasonCode;
  message: string;
}

/** What the rollback did. */
export interface RollbackReport {
  /** The sha that was rolled back (the failed release). */
  fromSha: string;
  /** The sha redeployed (the newest earlier successful deployment). */
  toSha: string;
  /** The earlier deployment whose sha was redeployed. */
  previousDeploymentId: number;
  /** The new deployment created for the rollback, when it could be created. */
  attempt: DeployAttempt | null;
  succeeded: boolean;
  message: string;
}

/** The whole outcome of one action run: the `report` output. */
export interface DeploymentReport {
  version: 1;
  result: DeployResult;
  reasonCode: ReasonCode;
  /** One line, human readable. */
  message: string;
  dryRun: boolean;
  /** `dispatch` (the app created the deployment) or `protection_rule` (GitHub created it for the job; the app approved it). */
  mode: 'dispatch' | 'protection_rule';
  repository: string;
  environment: string;
  sha: string;
  deploymentId: number | null;
  pullRequest: number | null;
  /** SHA of the newest earlier verified deployment in the environment (the rollback target), when there is one. */
  previousSha: string | null;
  environmentUrl: string | null;
  /** The stage's deploy.timeout (e.g. `30m`), once the configuration was read. */
  deployTimeout: string | null;
  runUrl: string | null;
  /** Compare link previousSha...sha, when there is a previous sha. */
  compareUrl: string | null;
  attempt: DeployAttempt | null;
  rollback: RollbackReport | null;
  /** Why no rollback happened although verification failed, when that is the case. */
  rollbackSkipped: string | null;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  /** Problems that did not change the result (e.g. the PR comment could not be written). */
  warnings: string[];
}
