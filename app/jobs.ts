import type { Config } from '../src/config/schema.js';
import type { GateEvent } from '../src/gate/types.js';
import type { GitHubRequester } from '../src/github/client.js';
import type { AutoMergeOutcome } from './auto-merge.js';
import type { ConfigCheckOutcome } from './config-check.js';
import type { AppDeps, AppLogger } from './deps.js';
import type { DeploymentStatusEvent } from './deployment-status.js';
import type { DutyOutcome } from './duty.js';
import type { GateRunInput, GateRunOutcome } from './gate-runner.js';
import type { MergeResult } from './merge.js';
import type { ProtectionRuleOutcome, ProtectionRuleRequest } from './protection-rule.js';
import type { ReleaseOutcome } from './release.js';
import type { StandingOutcome } from './standing-pr.js';
import type { CompletedRun } from './workflow-run.js';
import type { CommandWork, CommentOutcome } from './handlers/issue-comment.js';

/** The repository a job acts in, as the delivery names it. */
export interface JobRepo {
  owner: string;
  repo: string;
  /** `owner/repo`. */
  fullName: string;
  defaultBranch: string;
  /** The repository's web URL. */
  htmlUrl: string;
}

/** What a job does. Plain data (a queue stores it), read from the delivery by the router. */
export type Work =
  /** A pull request opened, reopened, pushed to or retargeted: the `stagegate/config` check, then the gate. */
  | { kind: 'pull-request'; pullNumber: number; headSha: string; retargeted: boolean }
  /** One pull request's gate (a review, a timed re-evaluation, or fanned out from a commit). */
  | { kind: 'gate'; pullNumber: number; headSha: string | null; event: GateEvent }
  /** The gates of the open pull requests whose head is `sha` (`pulls` when the delivery names them). */
  | { kind: 'gate-sha'; sha: string; pulls: number[] | null; event: GateEvent }
  /** A merged pull request: deploy when its gate passed. */
  | { kind: 'merge'; pullNumber: number }
  /** A deployment status: the audit trail, then the gates verified in its environment. */
  | { kind: 'deployment-status'; deployment: DeploymentStatusEvent['deployment']; status: DeploymentStatusEvent['status'] }
  /** A completed workflow run: settles the deployments it ran, publishes Releases, re-gates dependants. */
  | { kind: 'workflow-run'; run: CompletedRun }
  /** A push to a branch a stage promotes from: the standing promotion pull requests. */
  | { kind: 'standing'; branch: string; after: string }
  /** A deployment protection rule to answer. */
  | { kind: 'protection-rule'; request: Omit<ProtectionRuleRequest, 'client' | 'owner' | 'repo'> }
  /** A `/stagegate` command in a new comment (ChatOps). */
  | CommandWork;

/** One unit of work from a delivery (or scheduled by the app itself). */
export interface Job {
  /** The webhook event's name (`pull_request`, ...) or `time` for a timed re-evaluation. */
  event: string;
  /** `X-GitHub-Delivery` of the delivery it came from. */
  delivery: string;
  installationId: number | null;
  repo: JobRepo;
  /** Who caused the delivery (`sender.login`). */
  actor: string | null;
  work: Work;
}

/** What the router decided for a delivery. */
export type Route = { kind: 'ignore'; why: string } | { kind: 'job'; job: Job };

/** What the app did with one delivery; tests and the sandbox read it through `onHandled`. */
export type Handled =
  | { event: string; outcome: 'ignored'; why: string }
  | { event: string; outcome: 'gate'; pullRequest: number; result: GateRunOutcome }
  | { event: string; outcome: 'merge'; pullRequest: number; result: MergeResult }
  | { event: string; outcome: 'recorded'; appended: number }
  | { event: string; outcome: 'config-check'; pullRequest: number; result: ConfigCheckOutcome }
  | { event: string; outcome: 'protection-rule'; result: ProtectionRuleOutcome }
  | { event: string; outcome: 'standing'; results: StandingOutcome[] }
  | { event: string; outcome: 'continuous'; pullRequest: number; duty: DutyOutcome; autoMerge: AutoMergeOutcome }
  | { event: string; outcome: 'release'; deploymentId: number; result: ReleaseOutcome }
  | { event: string; outcome: 'command'; result: CommentOutcome };

/** What a job runs with. */
export interface JobContext {
  deps: AppDeps;
  /** The installation's client. */
  client: GitHubRequester;
  log: AppLogger;
  report(h: Handled): void;
  /** The last valid policy read for a repository, if recent: events that cannot matter under it are skipped. */
  policy(repository: string): Config | null;
  /** Runs `task` alone for `key` (one pull request), after every earlier task of that key. */
  serial<T>(key: string, task: () => Promise<T>): Promise<T>;
  /** Evaluates one pull request's gate (serialised per pull request). */
  gate(job: Job, pullNumber: number, event: GateEvent, headSha: string | null, extra?: Partial<GateRunInput>): Promise<GateRunOutcome>;
  /** Runs `task` at `at` (the app's scheduler): a lock's end, a follow-up's deadline. */
  schedule(at: Date, task: () => void): { cancel(): void };
}

/** The serialisation key of a pull request. */
export function pullKey(repo: JobRepo, pullNumber: number): string {
  return `${repo.fullName}#${pullNumber}`;
}

/** Whether a pull request's head lives in its base repository (forks are never promotions). */
export function sameRepo(pr: { head: { repo: { id: number } | null }; base: { repo: { id: number } } }): boolean {
  return pr.head.repo !== null && pr.head.repo.id === pr.base.repo.id;
}
