/**
 * The plumbing half of the {@link GitHubSandbox} facade, used by the world, the routes and the runner as much as
 * by scripts: GitHub's JSON objects, emitting and re-sending webhooks, waiting, authentication. Its methods run
 * on the sandbox itself (`this: GitHubSandbox`); the scripting half (accounts, repositories, pull requests, ...)
 * is `github-sandbox.ts`.
 */
import type { GitHubSandbox } from './github-sandbox.js';
import { authenticate } from './http/auth.js';
import { checkRunJson, checkSuiteJson } from './json/checks.js';
import { deploymentJson, deploymentStatusJson } from './json/deployments.js';
import { commentJson, issueJson } from './json/issues.js';
import { pullJson, pullRefsFor } from './json/pulls.js';
import { releaseJson } from './json/releases.js';
import { teamJson } from './json/teams.js';
import { reviewJson } from './json/reviews.js';
import { statusJson } from './json/statuses.js';
import { orgJson } from './json/users.js';
import type { WorkflowRun } from './runner/workflow-runner.js';
import type {
  Account,
  Actor,
  CheckRunState,
  CheckSuiteState,
  CommentState,
  CommitView,
  DeploymentState,
  DeploymentStatusState,
  PullState,
  ReleaseState,
  RepoState,
  ReviewState,
  StatusState,
  TeamState,
} from './state.js';
import { settled, waitFor, waitForDelivery, waitForWorkflowRun } from './wait.js';
import { emit } from './webhooks/emit.js';
import type { Delivery } from './webhooks/sender.js';
import { commitView } from './world/commits.js';

/** Base class of {@link GitHubSandbox}; not constructed on its own. */
export abstract class SandboxPlumbing {
  // ------------------------------------------------ GitHub's JSON objects (json/*.ts)

  commitView(this: GitHubSandbox, r: RepoState, sha: string): Promise<CommitView> {
    return commitView(this, r, sha);
  }
  /** `pull-request` (full) or, with `simple`, `pull-request-simple`; `forWebhook` adds webhook-only fields. */
  pullJson(this: GitHubSandbox, r: RepoState, pr: PullState, forWebhook = false, simple = false): Promise<Record<string, unknown>> {
    return pullJson(this, r, pr, forWebhook, simple);
  }
  /** The PR as an `issue`. */
  issueJson(this: GitHubSandbox, r: RepoState, pr: PullState, forWebhook = false): Promise<Record<string, unknown>> {
    return issueJson(this, r, pr, forWebhook);
  }
  commentJson(this: GitHubSandbox, r: RepoState, c: CommentState, forWebhook = false): Record<string, unknown> {
    return commentJson(this, r, c, forWebhook);
  }
  reviewJson(this: GitHubSandbox, r: RepoState, rv: ReviewState, forWebhook = false): Record<string, unknown> {
    return reviewJson(this, r, rv, forWebhook);
  }
  checkSuiteJson(this: GitHubSandbox, r: RepoState, s: CheckSuiteState, forWebhook = false): Promise<Record<string, unknown>> {
    return checkSuiteJson(this, r, s, forWebhook);
  }
  /** Minimal PR references (as check runs and suites carry) of open PRs headed at `sha`. */
  pullRefsFor(this: GitHubSandbox, r: RepoState, sha: string): Promise<Array<Record<string, unknown>>> {
    return pullRefsFor(this, r, sha);
  }
  checkRunJson(this: GitHubSandbox, r: RepoState, c: CheckRunState, forWebhook = false): Promise<Record<string, unknown>> {
    return checkRunJson(this, r, c, forWebhook);
  }
  statusJson(this: GitHubSandbox, r: RepoState, s: StatusState, simple = false): Record<string, unknown> {
    return statusJson(this, r, s, simple);
  }
  deploymentJson(this: GitHubSandbox, r: RepoState, d: DeploymentState): Record<string, unknown> {
    return deploymentJson(this, r, d);
  }
  deploymentStatusJson(this: GitHubSandbox, r: RepoState, d: DeploymentState, s: DeploymentStatusState): Record<string, unknown> {
    return deploymentStatusJson(this, r, d, s);
  }
  teamJson(this: GitHubSandbox, t: TeamState): Record<string, unknown> {
    return teamJson(this.bases, t);
  }
  releaseJson(this: GitHubSandbox, r: RepoState, rel: ReleaseState): Record<string, unknown> {
    return releaseJson(this, r, rel);
  }
  orgJson(this: GitHubSandbox, o: Account): Record<string, unknown> {
    return orgJson(this.bases, o);
  }

  // ------------------------------------------------ webhooks (webhooks/emit.ts, webhooks/queue.ts)

  /** Builds, validates, records and (when a URL is set) sends one webhook delivery. */
  emit(this: GitHubSandbox, r: RepoState, event: string, body: Record<string, unknown>, sender: Account): Promise<Delivery | null> {
    return emit(this, r, event, body, sender);
  }
  /** Re-sends a recorded delivery verbatim (same id, body and signature), as GitHub's "Redeliver" does. */
  redeliver(this: GitHubSandbox, deliveryId: string): Delivery {
    return this.deliveryQueue.redeliver(deliveryId);
  }
  /** Sends a delivery of `event` with a bad or missing signature (nothing in the sandbox changes). */
  sendForged(this: GitHubSandbox, event: string, payload: Record<string, unknown>, signature: 'bad' | 'missing'): Delivery {
    return this.deliveryQueue.enqueue(event, payload, { signature, redeliveryOf: null, targetId: this.app.id });
  }

  // ------------------------------------------------ waiting (wait.ts)

  /** Resolves with the first delivery (past or future) matching `pred` once it was sent. */
  waitForDelivery(this: GitHubSandbox, pred: (d: Delivery) => boolean, timeoutMs = 20_000): Promise<Delivery> {
    return waitForDelivery(this, pred, timeoutMs);
  }
  /** Resolves with the first completed workflow run matching `pred`. */
  waitForWorkflowRun(this: GitHubSandbox, pred: (r: WorkflowRun) => boolean = () => true, timeoutMs = 120_000): Promise<WorkflowRun> {
    return waitForWorkflowRun(this, pred, timeoutMs);
  }
  /** Polls `probe` on every change until it returns non-null. */
  waitFor<T>(this: GitHubSandbox, probe: () => T | null, timeoutMs: number, what: string): Promise<T> {
    return waitFor(this, probe, timeoutMs, what);
  }
  /** Resolves when no delivery is pending, no request is in flight and no workflow runs, for `quietMs`. */
  settled(this: GitHubSandbox, timeoutMs = 60_000, quietMs = 150): Promise<void> {
    return settled(this, timeoutMs, quietMs);
  }

  /** Who the `Authorization` header authenticates (app JWTs are verified against the app's public key). */
  authenticate(this: GitHubSandbox, header: string | undefined): Actor | { kind: 'invalid'; message: string } {
    return authenticate(this, header);
  }
}
