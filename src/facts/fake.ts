import { runName } from '../protocol/dispatch.js';
import { promotionPayload } from '../protocol/deployment-payload.js';
import type { AppRef } from '../protocol/evidence.js';
import type {
  ChangedFileFact,
  CheckFact,
  CommitFact,
  CommitPerson,
  DeploymentFact,
  DeploymentStatusFact,
  Listing,
  MergedPullFact,
  PromotionFacts,
  PullRequestFact,
  PushFact,
  ReviewFact,
  RepoPermission,
  TeamMembership,
  WorkflowRunFact,
} from './types.js';
import { shortSha } from '../text.js';

/** The methods of {@link PromotionFacts}. */
export type FactMethod =
  | 'pullRequest'
  | 'commits'
  | 'files'
  | 'reviews'
  | 'checks'
  | 'deployments'
  | 'deploymentStatuses'
  | 'workflowRun'
  | 'approvedRunOf'
  | 'pushes'
  | 'treeOf'
  | 'teamMembership'
  | 'permission'
  | 'mergedPulls';

/** The methods that return a {@link Listing}. */
export type ListingMethod = 'commits' | 'files' | 'reviews' | 'checks' | 'deployments' | 'deploymentStatuses' | 'pushes' | 'mergedPulls';

/** A team member given to {@link fakeFacts}: a login (active membership) or a login with its membership state. */
export type FakeTeamMember = string | { login: string; state: TeamMembership };

/** What a fake knows. Everything is optional; absent lists are empty and complete. */
export interface FakeFactsInput {
  /** owner/name; default `acme/shop`. */
  repository?: string;
  /** Overrides of the default pull request (#42 by `dave`, `staging → production`). */
  pullRequest?: Partial<PullRequestFact>;
  commits?: CommitFact[];
  /** Changed files, as paths or full facts. */
  files?: (string | ChangedFileFact)[];
  reviews?: ReviewFact[];
  /** Check runs and statuses per commit SHA. */
  checks?: Record<string, CheckFact[]>;
  /** Deployments per environment, newest first. */
  deployments?: Record<string, DeploymentFact[]>;
  /** Statuses per deployment id, newest first. */
  deploymentStatuses?: Record<number, DeploymentStatusFact[]>;
  /** Workflow runs by id. */
  runs?: Record<number, WorkflowRunFact>;
  /** The run whose protection-rule request the app approved, per job deployment id. */
  approvedRuns?: Record<number, number>;
  /** Who pushed which commit; default: every commit of `commits`, with nobody beyond its author. */
  pushes?: PushFact[];
  /** Tree SHA per commit SHA; a commit not listed has a tree of its own (`tree:<sha>`). */
  trees?: Record<string, string>;
  /** Members per `org/team` (case-insensitive); users not listed are `none`. */
  teams?: Record<string, FakeTeamMember[]>;
  mergedPulls?: MergedPullFact[];
  /** Repository permission per login (case-insensitive); users not listed have `write`. */
  permissions?: Record<string, RepoPermission>;
  /** Listings to report as incomplete, with the reason. */
  incomplete?: Partial<Record<ListingMethod, string>>;
  /** Methods that throw, with the error (or its message). */
  errors?: Partial<Record<FactMethod, string | Error>>;
}

/** A fake that also records how it was called. */
export interface FakeFacts extends PromotionFacts {
  /** Calls per method. */
  readonly calls: Record<FactMethod, number>;
  /** Every call in order, as `method(arg, ...)`. */
  readonly log: string[];
  /** Calls per `method(args)`, for checking that nothing was read twice. */
  callCounts(): Map<string, number>;
}

const DEFAULT_HEAD = 'f00dfeed00000000000000000000000000000000';
const DEFAULT_BASE = 'ba5eba5e00000000000000000000000000000000';

/**
 * A plain in-memory {@link PromotionFacts} for tests: answers from the given data, reports configured
 * listings as incomplete, throws configured errors, and counts calls per method.
 */
export function fakeFacts(input: FakeFactsInput = {}): FakeFacts {
  const commits = input.commits ?? [];
  const headSha = input.pullRequest?.headSha ?? commits[commits.length - 1]?.sha ?? DEFAULT_HEAD;
  const pr: PullRequestFact = {
    number: 42,
    title: 'Promote staging to production',
    htmlUrl: 'https://github.com/acme/shop/pull/42',
    author: 'dave',
    state: 'open',
    draft: false,
    merged: false,
    mergeCommitSha: null,
    mergedBy: null,
    headRef: 'staging',
    headSha,
    headRepo: input.repository ?? 'acme/shop',
    baseRef: 'production',
    baseSha: DEFAULT_BASE,
    baseRepo: input.repository ?? 'acme/shop',
    ...input.pullRequest,
  };
  const calls: Record<FactMethod, number> = {
    pullRequest: 0,
    commits: 0,
    files: 0,
    reviews: 0,
    checks: 0,
    deployments: 0,
    deploymentStatuses: 0,
    workflowRun: 0,
    approvedRunOf: 0,
    pushes: 0,
    treeOf: 0,
    teamMembership: 0,
    permission: 0,
    mergedPulls: 0,
  };
  const log: string[] = [];
  const teams = new Map<string, Map<string, TeamMembership>>();
  for (const [key, members] of Object.entries(input.teams ?? {})) {
    const m = new Map<string, TeamMembership>();
    for (const member of members) {
      if (typeof member === 'string') m.set(member.toLowerCase(), 'active');
      else m.set(member.login.toLowerCase(), member.state);
    }
    teams.set(key.toLowerCase(), m);
  }

  const enter = (method: FactMethod, ...args: string[]): void => {
    calls[method] += 1;
    log.push(`${method}(${args.join(', ')})`);
    const err = input.errors?.[method];
    if (err !== undefined) throw typeof err === 'string' ? new Error(err) : err;
  };
  const listing = <T>(method: ListingMethod, items: T[]): Listing<T> => {
    const reason = input.incomplete?.[method];
    return reason === undefined ? { complete: true, items: [...items] } : { complete: false, items: [...items], reason };
  };

  return {
    repository: input.repository ?? 'acme/shop',
    calls,
    log,
    callCounts() {
      const counts = new Map<string, number>();
      for (const entry of log) counts.set(entry, (counts.get(entry) ?? 0) + 1);
      return counts;
    },
    async pullRequest() {
      enter('pullRequest');
      return { ...pr };
    },
    async commits() {
      enter('commits');
      return listing('commits', commits);
    },
    async files() {
      enter('files');
      return listing(
        'files',
        (input.files ?? []).map((f) => (typeof f === 'string' ? { filename: f, status: 'modified' } : f)),
      );
    },
    async reviews() {
      enter('reviews');
      return listing('reviews', input.reviews ?? []);
    },
    async checks(sha) {
      enter('checks', sha);
      return listing('checks', input.checks?.[sha] ?? []);
    },
    async deployments(environment) {
      enter('deployments', environment);
      return listing('deployments', input.deployments?.[environment] ?? []);
    },
    async deploymentStatuses(id) {
      enter('deploymentStatuses', String(id));
      return listing('deploymentStatuses', input.deploymentStatuses?.[id] ?? []);
    },
    async workflowRun(id) {
      enter('workflowRun', String(id));
      return input.runs?.[id] ?? null;
    },
    async approvedRunOf(id) {
      enter('approvedRunOf', String(id));
      return input.approvedRuns?.[id] ?? null;
    },
    async pushes() {
      enter('pushes');
      return listing('pushes', input.pushes ?? commits.map((c) => ({ sha: c.sha, pushers: [] })));
    },
    async treeOf(sha) {
      enter('treeOf', sha);
      return input.trees?.[sha] ?? `tree:${sha}`;
    },
    async teamMembership(org, teamSlug, login) {
      enter('teamMembership', org, teamSlug, login);
      return teams.get(`${org}/${teamSlug}`.toLowerCase())?.get(login.toLowerCase()) ?? 'none';
    },
    async permission(login) {
      enter('permission', login);
      const perms = new Map(Object.entries(input.permissions ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
      return perms.get(login.toLowerCase()) ?? 'write';
    },
    async mergedPulls() {
      enter('mergedPulls');
      return listing('mergedPulls', input.mergedPulls ?? []);
    },
  };
}

/** A person on a commit for tests: a login maps to `<login>@example.com`; `null` login means no account. */
export function fakePerson(login: string | null, email?: string, name?: string): CommitPerson {
  return { login, email: email ?? `${login ?? 'someone'}@example.com`, name: name ?? login ?? 'Someone' };
}

/** A commit for tests; author and committer default to the same login, no co-authors. */
export function fakeCommit(
  sha: string,
  opts: { author?: string | null | CommitPerson; committer?: string | null | CommitPerson; coAuthors?: (string | CommitPerson)[]; message?: string; date?: string } = {},
): CommitFact {
  const person = (p: string | null | CommitPerson | undefined, fallback: CommitPerson): CommitPerson => (p === undefined ? fallback : p === null || typeof p === 'string' ? fakePerson(p) : p);
  const author = person(opts.author, fakePerson('alice'));
  const committer = person(opts.committer, author);
  const coAuthors = (opts.coAuthors ?? []).map((c) => (typeof c === 'string' ? fakePerson(c) : c));
  const trailers = coAuthors.map((c) => `\n\nCo-authored-by: ${c.name} <${c.email}>`).join('');
  return {
    sha,
    message: (opts.message ?? `Change ${shortSha(sha)}`) + trailers,
    author: { ...author, date: opts.date ?? '2026-11-20T10:00:00Z' },
    committer,
    coAuthors,
    parents: [],
  };
}

let nextReviewId = 1000;

/** A review for tests. */
export function fakeReview(user: string, state: ReviewFact['state'], commitId: string, submittedAt: string, id?: number): ReviewFact {
  nextReviewId += 1;
  return { id: id ?? nextReviewId, user, state, commitId, submittedAt };
}

/** A check run (or, with `source: 'status'`, a commit status) for tests. */
export function fakeCheck(name: string, status: CheckFact['status'], conclusion: string | null, at: string, opts: { source?: CheckFact['source']; id?: number } = {}): CheckFact {
  nextReviewId += 1;
  return { name, source: opts.source ?? 'check_run', status, conclusion, at, id: opts.id ?? nextReviewId, url: null };
}

/** The Stagegate app the fakes attribute deployments to. */
export const FAKE_APP: AppRef = { id: 77, slug: 'stagegate' };
/** GitHub Actions, as the fakes attribute workflow-token writes to it. */
export const FAKE_ACTIONS_APP: AppRef = { id: 15368, slug: 'github-actions' };

/**
 * A deployment for tests: by default one the Stagegate app created for a promotion, with a valid
 * payload for its own sha. `by: null` is a writer's own token; an app is that app's.
 */
export function fakeDeployment(id: number, sha: string, environment: string, createdAt: string, opts: { by?: AppRef | null; payload?: unknown; creator?: string } = {}): DeploymentFact {
  const by = opts.by === undefined ? FAKE_APP : opts.by;
  const payload =
    opts.payload !== undefined
      ? opts.payload
      : by === FAKE_APP
        ? promotionPayload({
            stage: {
              name: environment,
              branch: environment,
              from: 'master',
              signoff: { approvals: 1, separation_of_duties: true, require_verified_commits: false },
              auto_rollback: true,
              checks: [],
              windows: [],
              freeze: [],
              promotion_pr: 'manual',
              auto_merge: false,
            },
            pullRequest: 7,
            base: '0'.repeat(40),
            head: sha,
            mergeCommit: sha,
            approvers: [],
            source: { ref: '0'.repeat(40), path: '.github/stagegate.yml', fellBack: false },
            workflow: { file: 'stagegate-deploy.yml', ref: environment },
          })
        : {};
  return { id, sha, ref: sha, environment, createdAt, creator: opts.creator ?? (by ? `${by.slug ?? 'app'}[bot]` : 'mallory'), performedViaApp: by, payload };
}

/** A deployment status for tests, linking to `runId`'s run when given. */
export function fakeStatus(id: number, state: string, createdAt: string, opts: { runId?: number; description?: string | null; creator?: string; repository?: string } = {}): DeploymentStatusFact {
  const url = opts.runId !== undefined ? `https://github.com/${opts.repository ?? 'acme/shop'}/actions/runs/${opts.runId}` : null;
  const creator = opts.creator ?? 'github-actions[bot]';
  return { id, state, description: opts.description ?? null, logUrl: url, targetUrl: url, createdAt, creator, performedViaApp: creator === 'github-actions[bot]' ? FAKE_ACTIONS_APP : null };
}

/** A run of the deploy workflow for tests: by default the successful, completed run named for `deployment`. */
export function fakeRun(id: number, deployment: Pick<DeploymentFact, 'id' | 'sha' | 'environment'>, over: Partial<WorkflowRunFact> = {}): WorkflowRunFact {
  return {
    id,
    repository: 'acme/shop',
    path: '.github/workflows/stagegate-deploy.yml',
    headBranch: deployment.environment,
    headSha: deployment.sha,
    event: 'workflow_dispatch',
    status: 'completed',
    conclusion: 'success',
    displayTitle: runName({ deploymentId: deployment.id, sha: deployment.sha, environment: deployment.environment }),
    updatedAt: '2026-11-20T00:00:00Z',
    htmlUrl: `https://github.com/acme/shop/actions/runs/${id}`,
    ...over,
  };
}

/** One deployment for {@link fakeDeploys}: by default Stagegate's, verified by its own successful run when its status is `success`. */
export interface FakeDeploy {
  id: number;
  sha: string;
  environment: string;
  createdAt: string;
  /** Its newest status (null: none yet). */
  status: { state: string; createdAt: string; description?: string | null; creator?: string } | null;
  /** Overrides of the run the status links to; null: the status links to no run. */
  run?: Partial<WorkflowRunFact> | null;
  by?: AppRef | null;
  payload?: unknown;
}

/** Deployments with their statuses and runs, as {@link FakeFactsInput} parts (merge them in). */
export function fakeDeploys(list: FakeDeploy[]): Required<Pick<FakeFactsInput, 'deployments' | 'deploymentStatuses' | 'runs'>> {
  const out: Required<Pick<FakeFactsInput, 'deployments' | 'deploymentStatuses' | 'runs'>> = { deployments: {}, deploymentStatuses: {}, runs: {} };
  for (const d of list) {
    const dep = fakeDeployment(d.id, d.sha, d.environment, d.createdAt, { ...(d.by !== undefined ? { by: d.by } : {}), ...(d.payload !== undefined ? { payload: d.payload } : {}) });
    (out.deployments[d.environment] ??= []).push(dep);
    if (!d.status) continue;
    const runId = d.run === null ? undefined : d.id * 100;
    const opts = {
      ...(runId !== undefined ? { runId } : {}),
      ...(d.status.description !== undefined ? { description: d.status.description } : {}),
      ...(d.status.creator ? { creator: d.status.creator } : {}),
    };
    out.deploymentStatuses[d.id] = [fakeStatus(d.id * 10, d.status.state, d.status.createdAt, opts)];
    if (runId !== undefined) out.runs[runId] = fakeRun(runId, dep, { updatedAt: d.status.createdAt, ...d.run });
  }
  return out;
}
