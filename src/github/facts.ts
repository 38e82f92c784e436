import type {
  ChangedFileFact,
  CheckFact,
  DeploymentFact,
  DeploymentStatusFact,
  Listing,
  MergedPullFact,
  PromotionFacts,
  PullRequestFact,
  PushFact,
  RepoPermission,
  ReviewFact,
  TeamMembership,
  WorkflowRunFact,
} from '../facts/types.js';
import type { GateEvent } from '../gate/types.js';
import { budgeted, BudgetExceeded, RequestBudget } from './budget.js';
import { isNotFound, memo, type GitHubRequester, type RouteData } from './client.js';
import { listMergedPulls } from '../release-notes/github.js';
import { loginOf } from './commits.js';
import { conditionalGet, conditionalPages } from './conditional.js';
import { FactCache, permissionKey, repoKey, teamKey } from './fact-cache.js';
import { attributePushes, nextCursor, type ApiActivity } from './pushes.js';
import { cachedRange, diffTrees, tooLargeMessage, type RangeRead } from './range.js';
import { shortSha } from '../text.js';

export { coAuthorTrailers } from './commits.js';

/** Facts that change without their SHA changing, and so are revalidated (conditionally) rather than kept. */
export type ChangeableFact = 'reviews' | 'check-runs' | 'statuses' | 'deployments' | 'policy' | 'activity';

/**
 * The events that can change each changeable fact. An evaluation triggered only by other events
 * may reuse a copy validated within the cache's `reuseMs`; `pull_request` and `time` events (and
 * evaluations without events: a merge, a timer) revalidate everything. The pull request itself is
 * revalidated by every evaluation.
 */
export const CHANGED_BY: Record<ChangeableFact, readonly GateEvent[]> = {
  reviews: ['pull_request_review'],
  // Not `check_suite`: a suite completes when its runs do, and each run's own `check_run.completed` revalidates.
  'check-runs': ['check_run'],
  statuses: ['status'],
  deployments: ['deployment_status', 'workflow_run'],
  policy: [],
  // Pushes to the head branch arrive as `pull_request` (synchronize), which revalidates everything.
  activity: [],
};

/** How long an evaluation triggered by `events` may reuse a copy of `fact` (0: revalidate). */
export function reuseWindow(cache: FactCache, events: readonly GateEvent[] | undefined, fact: ChangeableFact): number {
  if (!events || events.length === 0) return 0;
  if (events.some((e) => e === 'pull_request' || e === 'time' || CHANGED_BY[fact].includes(e))) return 0;
  return cache.reuseMs;
}

/** Options of {@link createGitHubFacts}. */
export interface GitHubFactsOptions {
  client: GitHubRequester;
  owner: string;
  repo: string;
  pullNumber: number;
  /** Range start to use instead of the PR's base SHA (after a merge: the merge commit's first parent). */
  baseSha?: string;
  /** Facts shared by evaluations (default: a cache of this evaluation alone). */
  cache?: FactCache;
  /** The events this evaluation answers (see {@link CHANGED_BY}); absent: every changeable fact is revalidated. */
  events?: readonly GateEvent[];
  /** The evaluation's request budget (default: {@link RequestBudget}'s defaults). */
  budget?: RequestBudget;
  /** The app's own record of protection-rule approvals (protection-rule mode); default: none. */
  approvedRunOf?: (deploymentId: number) => Promise<number | null>;
}

/** How many of an environment's newest deployments the gate reads. */
export const DEPLOYMENTS_PAGE = 30;

/** PromotionFacts read from GitHub, with the request budget they spent. */
export interface GitHubFacts extends PromotionFacts {
  readonly budget: RequestBudget;
}

type ApiPull = RouteData<'GET /repos/{owner}/{repo}/pulls/{pull_number}'>;

function incomplete<T>(items: T[], reason: string): Listing<T> {
  return { complete: false, items, reason };
}

/**
 * PromotionFacts read from GitHub's REST API. Within an evaluation every fact is read once. Across
 * evaluations (through `cache`): what a SHA fixes (a range's commits, changed files and merged pull
 * requests, trees) is read once; the pull request, reviews, checks, statuses and deployments are
 * revalidated with conditional requests (a `304` is free), or reused briefly when the triggering
 * event cannot have changed them; permissions and team memberships are kept minutes unless
 * invalidated. Errors propagate and incomplete listings say why: the gate fails closed.
 */
export function createGitHubFacts(opts: GitHubFactsOptions): GitHubFacts {
  const { owner, repo, pullNumber } = opts;
  const cache = opts.cache ?? new FactCache({ reuseMs: 0 });
  const budget = opts.budget ?? new RequestBudget();
  const client = budgeted(opts.client, budget);
  const repository = `${owner}/${repo}`;
  const base = { owner, repo };
  const treeKey = (sha: string): string => `commit-tree:${repoKey(repository)}:${sha}`;
  const reuse = (fact: ChangeableFact): number => reuseWindow(cache, opts.events, fact);
  // Without triggering events (a merge, a deploy decision) even short-lived answers are read anew.
  const access = { fresh: !opts.events || opts.events.length === 0 };

  const pullRaw = memo(async (): Promise<ApiPull> => (await conditionalGet(client, cache, 'GET /repos/{owner}/{repo}/pulls/{pull_number}', { ...base, pull_number: pullNumber })).data);

  const pullRequest = async (): Promise<PullRequestFact> => {
    const p = await pullRaw('');
    return {
      number: p.number,
      title: p.title,
      htmlUrl: p.html_url,
      author: loginOf(p.user) ?? 'ghost',
      state: p.state === 'closed' ? 'closed' : 'open',
      draft: Boolean(p.draft),
      merged: p.merged,
      mergeCommitSha: p.merge_commit_sha,
      mergedBy: loginOf(p.merged_by),
      headRef: p.head.ref,
      headSha: p.head.sha,
      headRepo: p.head.repo?.full_name ?? null,
      baseRef: p.base.ref,
      baseSha: opts.baseSha ?? p.base.sha,
      baseRepo: p.base.repo.full_name,
    };
  };

  /** The range, and whether it is the pull request's own (so its `changed_files` applies). */
  const range = memo(async (): Promise<{ read: RangeRead; own: boolean; changedFiles: number | null }> => {
    const [pr, raw] = await Promise.all([pullRequest(), pullRaw('')]);
    const own = pr.baseSha === raw.base.sha;
    const changedFiles = own && typeof raw.changed_files === 'number' ? raw.changed_files : null;
    const read = await cachedRange(cache, client, budget, { owner, repo, base: pr.baseSha, head: pr.headSha }, changedFiles);
    const headTree = read.headTree;
    if (headTree) await cache.immutable(treeKey(pr.headSha), async () => headTree);
    return { read, own, changedFiles };
  });

  const commits = memo(async () => {
    const { read } = await range('');
    return read.complete ? { complete: true as const, items: read.commits } : incomplete(read.commits, read.reason ?? 'the commit listing is incomplete');
  });

  const treeOf = memo(async (sha: string): Promise<string> =>
    cache.immutable(treeKey(sha), async () => (await client.request('GET /repos/{owner}/{repo}/git/commits/{commit_sha}', { ...base, commit_sha: sha })).data.tree.sha),
  );

  const files = memo(async (): Promise<Listing<ChangedFileFact>> => {
    const [{ read, own, changedFiles }, pr] = await Promise.all([range(''), pullRequest()]);
    // Compare lists every changed file when there are fewer than 300; the PR's own count confirms it.
    if (read.files && (!own || changedFiles === null || changedFiles === read.files.length)) return { complete: true, items: read.files };
    if (!read.mergeBaseTree) return incomplete([], `GitHub did not report the merge base of ${shortSha(pr.baseSha)}...${shortSha(pr.headSha)}`);
    try {
      const headTree = read.headTree ?? (await treeOf(pr.headSha));
      const diff = await diffTrees(client, cache, owner, repo, read.mergeBaseTree, headTree);
      if (!diff.complete && budget.left === 0) return incomplete(diff.items, tooLargeMessage(read.total, changedFiles, budget.shortfall(1) ?? 'the request budget'));
      return diff;
    } catch (err) {
      if (err instanceof BudgetExceeded) return incomplete([], tooLargeMessage(read.total, changedFiles, err.message));
      throw err;
    }
  });

  const reviews = memo(async (): Promise<Listing<ReviewFact>> => {
    const res = await conditionalPages(client, cache, 'GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews', { ...base, pull_number: pullNumber }, (d) => d, { reuseMs: reuse('reviews') });
    const items: ReviewFact[] = res.items.flatMap((r) => {
      const user = loginOf(r.user);
      if (!user || r.state === 'PENDING') return [];
      return [{ id: Number(r.id), user, state: r.state as ReviewFact['state'], commitId: r.commit_id ?? '', submittedAt: r.submitted_at ?? '' }];
    });
    return res.complete ? { complete: true, items } : incomplete(items, 'the review listing was cut');
  });

  const checks = memo(async (sha: string): Promise<Listing<CheckFact>> => {
    const [runs, statuses] = await Promise.all([
      conditionalPages(client, cache, 'GET /repos/{owner}/{repo}/commits/{ref}/check-runs', { ...base, ref: sha, filter: 'all' }, (d) => d.check_runs, { reuseMs: reuse('check-runs') }),
      conditionalPages(client, cache, 'GET /repos/{owner}/{repo}/commits/{ref}/statuses', { ...base, ref: sha }, (d) => d, { reuseMs: reuse('statuses') }),
    ]);
    const items: CheckFact[] = [
      ...runs.items.map((r) => ({
        name: r.name,
        source: 'check_run' as const,
        status: r.status,
        conclusion: r.conclusion,
        at: r.started_at ?? '',
        id: Number(r.id),
        url: r.html_url,
        app: r.app?.slug ?? null,
      })),
      ...statuses.items.map((s) => ({
        name: s.context,
        source: 'status' as const,
        status: s.state === 'pending' ? ('pending' as const) : ('completed' as const),
        conclusion: s.state === 'pending' ? null : s.state,
        at: s.created_at,
        id: Number(s.id),
        url: s.target_url,
        app: s.creator?.login ?? null,
      })),
    ];
    if (!runs.complete || !statuses.complete) return incomplete(items, `the checks of ${shortSha(sha)} could not be read completely`);
    return { complete: true, items };
  });

  const deployments = memo(async (environment: string): Promise<Listing<DeploymentFact>> => {
    const list = (await conditionalGet(client, cache, 'GET /repos/{owner}/{repo}/deployments', { ...base, environment, per_page: DEPLOYMENTS_PAGE }, { reuseMs: reuse('deployments') })).data;
    const items: DeploymentFact[] = list.map((d) => ({
      id: Number(d.id),
      sha: d.sha,
      ref: d.ref,
      environment: d.environment,
      createdAt: d.created_at,
      creator: loginOf(d.creator),
      performedViaApp: d.performed_via_github_app ? { id: d.performed_via_github_app.id, slug: d.performed_via_github_app.slug ?? null } : null,
      payload: d.payload,
    }));
    // One page of the newest: enough to find the newest Stagegate deployment unless others crowd it out.
    return list.length < DEPLOYMENTS_PAGE ? { complete: true, items } : incomplete(items, `only the newest ${DEPLOYMENTS_PAGE} deployments were read`);
  });

  const deploymentStatuses = memo(async (id: string): Promise<Listing<DeploymentStatusFact>> => {
    const res = await conditionalPages(client, cache, 'GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses', { ...base, deployment_id: Number(id) }, (d) => d, {
      reuseMs: reuse('deployments'),
      maxPages: 3,
    });
    const items: DeploymentStatusFact[] = res.items.map((st) => ({
      id: Number(st.id),
      state: st.state,
      description: st.description ?? null,
      logUrl: st.log_url ?? null,
      targetUrl: st.target_url ?? null,
      createdAt: st.created_at,
      creator: loginOf(st.creator),
      performedViaApp: st.performed_via_github_app ? { id: st.performed_via_github_app.id, slug: st.performed_via_github_app.slug ?? null } : null,
    }));
    return res.complete ? { complete: true, items } : incomplete(items, `deployment ${id} has more statuses than were read`);
  });

  const workflowRun = memo(async (id: string): Promise<WorkflowRunFact | null> => {
    const read = async (): Promise<WorkflowRunFact | null> => {
      try {
        const r = (await conditionalGet(client, cache, 'GET /repos/{owner}/{repo}/actions/runs/{run_id}', { ...base, run_id: Number(id) }, { reuseMs: reuse('deployments') })).data;
        return {
          id: Number(r.id),
          repository: r.repository.full_name,
          path: r.path,
          headBranch: r.head_branch,
          headSha: r.head_sha,
          event: r.event,
          status: r.status,
          conclusion: r.conclusion,
          displayTitle: r.display_title,
          updatedAt: r.updated_at,
          htmlUrl: r.html_url,
        };
      } catch (err) {
        if (isNotFound(err)) return null;
        throw err;
      }
    };
    // Not kept as immutable: a completed run can be re-run (same id, new attempt, new conclusion). 304s are free.
    return read();
  });

  const pushes = memo(async (): Promise<Listing<PushFact>> => {
    const [pr, range] = await Promise.all([pullRequest(), commits('')]);
    if (!range.complete) return incomplete([], range.reason);
    return attributePushes(range.items, pr.headRef, async (cursor) => {
      const params = { ...base, ref: `refs/heads/${pr.headRef}`, per_page: 100, ...(cursor ? { after: cursor } : {}) };
      const res = await conditionalGet(client, cache, 'GET /repos/{owner}/{repo}/activity', params, { reuseMs: reuse('activity') });
      const items = res.data.map((a): ApiActivity => ({ id: a.id, before: a.before, after: a.after, ref: a.ref, timestamp: a.timestamp, activity_type: a.activity_type, actor: a.actor }));
      return { items, next: nextCursor({ link: res.link }) };
    });
  });

  const membership = memo(async (key: string): Promise<TeamMembership> => {
    const [org, team, login] = key.split('\u0000') as [string, string, string];
    return cache.access(
      teamKey(org, team, login),
      async () => {
        try {
          const res = await client.request('GET /orgs/{org}/teams/{team_slug}/memberships/{username}', { org, team_slug: team, username: login });
          return res.data.state === 'active' ? 'active' : 'pending';
        } catch (err) {
          if (isNotFound(err)) return 'none';
          throw err;
        }
      },
      access,
    );
  });

  const permission = memo(async (login: string): Promise<RepoPermission> =>
    cache.access(
      permissionKey(repository, login),
      async () => {
        try {
          const data = (await client.request('GET /repos/{owner}/{repo}/collaborators/{username}/permission', { ...base, username: login })).data;
          const role = data.role_name ?? data.permission;
          if (role === 'admin' || role === 'maintain' || role === 'write' || role === 'triage' || role === 'read') return role;
          return data.permission === 'write' || data.permission === 'admin' ? data.permission : 'none';
        } catch (err) {
          if (isNotFound(err)) return 'none';
          throw err;
        }
      },
      access,
    ),
  );

  const mergedPulls = memo(async (): Promise<Listing<MergedPullFact>> => {
    const [range, pr] = await Promise.all([commits(''), pullRequest()]);
    if (!range.complete) return incomplete([], 'not every merged pull request could be listed');
    return cache.immutable(
      `merged-pulls:${repoKey(repository)}:${pr.number}:${pr.baseSha}...${pr.headSha}`,
      () => listMergedPulls(client, owner, repo, pr.number, range.items),
      (l) => l.complete,
    );
  });

  return {
    repository,
    budget,
    pullRequest,
    commits: () => commits(''),
    files: () => files(''),
    reviews: () => reviews(''),
    checks,
    deployments,
    deploymentStatuses: (id) => deploymentStatuses(String(id)),
    workflowRun: (id) => workflowRun(String(id)),
    approvedRunOf: opts.approvedRunOf ?? (async () => null),
    pushes: () => pushes(''),
    treeOf,
    teamMembership: (org, team, login) => membership(`${org}\u0000${team}\u0000${login}`),
    permission: (login) => permission(login.toLowerCase()),
    mergedPulls: () => mergedPulls(''),
  };
}
