import type {
  ChangedFileFact,
  CheckFact,
  CommitFact,
  CommitPerson,
  DeploymentFact,
  Listing,
  MergedPullFact,
  PromotionFacts,
  PullRequestFact,
  ReviewFact,
  RepoPermission,
  TeamMembership,
} from '../facts/types.js';
import { isNotFound, memo, paginate, type GitHubRequester } from './client.js';

/** GitHub lists at most this many files for a pull request. */
export const PULL_FILES_LIMIT = 3000;

type User = { login: string } | null;
interface ApiPull {
  number: number;
  title: string;
  html_url: string;
  user: User;
  state: 'open' | 'closed';
  draft?: boolean;
  merged: boolean;
  merge_commit_sha: string | null;
  merged_by?: User;
  changed_files?: number;
  head: { ref: string; sha: string; repo: { full_name: string } | null };
  base: { ref: string; sha: string; repo: { full_name: string } };
}
interface ApiCommit {
  sha: string;
  parents: { sha: string }[];
  commit: { message: string; author: { name?: string; email?: string; date?: string } | null; committer: { name?: string; email?: string } | null };
  author: User;
  committer: User;
  files?: { filename: string; status: string; previous_filename?: string }[];
}

const NOREPLY = /^(?:\d+\+)?([A-Za-z0-9-]+)@users\.noreply\.(?:github\.com|[^>]+)$/i;

/** `Co-authored-by: Name <email>` trailers of a commit message. */
export function coAuthorTrailers(message: string): { name: string; email: string }[] {
  const out: { name: string; email: string }[] = [];
  for (const m of message.matchAll(/^\s*co-authored-by:\s*(.*?)\s*<([^>]+)>\s*$/gim)) {
    out.push({ name: m[1] ?? '', email: (m[2] ?? '').trim() });
  }
  return out;
}

function toCommitFacts(raw: ApiCommit[]): CommitFact[] {
  const loginByEmail = new Map<string, string>();
  for (const c of raw) {
    if (c.author?.login && c.commit.author?.email) loginByEmail.set(c.commit.author.email.toLowerCase(), c.author.login);
    if (c.committer?.login && c.commit.committer?.email) loginByEmail.set(c.commit.committer.email.toLowerCase(), c.committer.login);
  }
  const mapEmail = (email: string): string | null => loginByEmail.get(email.toLowerCase()) ?? NOREPLY.exec(email)?.[1] ?? null;
  return raw.map((c) => {
    const coAuthors: CommitPerson[] = coAuthorTrailers(c.commit.message).map((t) => ({ ...t, login: mapEmail(t.email) }));
    return {
      sha: c.sha,
      message: c.commit.message,
      author: {
        login: c.author?.login ?? null,
        name: c.commit.author?.name ?? '',
        email: c.commit.author?.email ?? '',
        date: c.commit.author?.date ?? '',
      },
      committer: { login: c.committer?.login ?? null, name: c.commit.committer?.name ?? '', email: c.commit.committer?.email ?? '' },
      coAuthors,
      parents: c.parents.map((p) => p.sha),
    };
  });
}

function incomplete<T>(items: T[], reason: string): Listing<T> {
  return { complete: false, items, reason };
}

/**
 * PromotionFacts read from GitHub's REST API. Every fact is fetched on first use and memoised,
 * so one evaluation makes one request sequence per fact. Errors propagate: the gate fails closed.
 */
export function createGitHubFacts(opts: {
  client: GitHubRequester;
  owner: string;
  repo: string;
  pullNumber: number;
  /** Range start to use instead of the PR's base SHA (after a merge: the merge commit's first parent). */
  baseSha?: string;
}): PromotionFacts {
  const { client, owner, repo, pullNumber } = opts;
  const repository = `${owner}/${repo}`;
  const base = { owner, repo };

  const pullRaw = memo(async () => (await client.request('GET /repos/{owner}/{repo}/pulls/{pull_number}', { ...base, pull_number: pullNumber })).data as ApiPull);

  const pullRequest = async (): Promise<PullRequestFact> => {
    const p = await pullRaw('');
    return {
      number: p.number,
      title: p.title,
      htmlUrl: p.html_url,
      author: p.user?.login ?? 'ghost',
      state: p.state,
      draft: Boolean(p.draft),
      merged: p.merged,
      mergeCommitSha: p.merge_commit_sha,
      mergedBy: p.merged_by?.login ?? null,
      headRef: p.head.ref,
      headSha: p.head.sha,
      headRepo: p.head.repo?.full_name ?? null,
      baseRef: p.base.ref,
      baseSha: opts.baseSha ?? p.base.sha,
      baseRepo: p.base.repo.full_name,
    };
  };

  const rawCommits = memo(async (): Promise<{ items: ApiCommit[]; complete: boolean; total: number }> => {
    const pr = await pullRequest();
    let total = -1;
    const res = await paginate<ApiCommit>(
      client,
      'GET /repos/{owner}/{repo}/compare/{basehead}',
      { ...base, basehead: `${pr.baseSha}...${pr.headSha}` },
      {
        pick: (d) => {
          const data = d as { commits: ApiCommit[]; total_commits: number };
          total = data.total_commits;
          return data.commits;
        },
      },
    );
    return { ...res, total };
  });

  const commits = memo(async (): Promise<Listing<CommitFact>> => {
    const { items, complete, total } = await rawCommits('');
    const facts = toCommitFacts(items);
    if (!complete) return incomplete(facts, `the commit listing was cut after ${items.length} commits`);
    if (total >= 0 && items.length !== total) return incomplete(facts, `GitHub listed ${items.length} of ${total} commits`);
    return { complete: true, items: facts };
  });

  const files = memo(async (): Promise<Listing<ChangedFileFact>> => {
    const toFact = (f: { filename: string; status: string; previous_filename?: string }): ChangedFileFact => ({
      filename: f.filename,
      status: f.status,
      ...(f.previous_filename ? { previousFilename: f.previous_filename } : {}),
    });
    const pr = await pullRaw('');
    const listed = await paginate<{ filename: string; status: string; previous_filename?: string }>(
      client,
      'GET /repos/{owner}/{repo}/pulls/{pull_number}/files',
      { ...base, pull_number: pullNumber },
      { maxPages: PULL_FILES_LIMIT / 100 },
    );
    const expected = pr.changed_files;
    if (listed.complete && listed.items.length < PULL_FILES_LIMIT && (expected === undefined || listed.items.length === expected)) {
      return { complete: true, items: listed.items.map(toFact) };
    }
    // Past GitHub's 3,000-file limit: the union of every commit's files covers every changed path.
    const range = await commits('');
    if (!range.complete) return incomplete(listed.items.map(toFact), `more than ${PULL_FILES_LIMIT} files changed and ${range.reason}`);
    const byName = new Map<string, ChangedFileFact>();
    for (const c of range.items) {
      const one = await paginate<{ filename: string; status: string; previous_filename?: string }>(
        client,
        'GET /repos/{owner}/{repo}/commits/{ref}',
        { ...base, ref: c.sha },
        {
          maxPages: 30,
          pick: (d) => (d as ApiCommit).files ?? [],
        },
      );
      if (!one.complete) return incomplete([...byName.values()], `commit ${c.sha.slice(0, 7)} changes more files than GitHub lists`);
      for (const f of one.items) {
        byName.set(f.filename, toFact(f));
        if (f.previous_filename) byName.set(f.previous_filename, { filename: f.previous_filename, status: 'removed' });
      }
    }
    return { complete: true, items: [...byName.values()] };
  });

  const reviews = memo(async (): Promise<Listing<ReviewFact>> => {
    const res = await paginate<{ id: number; user: User; state: string; commit_id: string | null; submitted_at?: string }>(client, 'GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews', {
      ...base,
      pull_number: pullNumber,
    });
    const items = res.items
      .filter((r) => r.user && r.state !== 'PENDING')
      .map((r) => ({
        id: r.id,
        user: r.user!.login,
        state: r.state as ReviewFact['state'],
        commitId: r.commit_id ?? '',
        submittedAt: r.submitted_at ?? '',
      }));
    return res.complete ? { complete: true, items } : incomplete(items, 'the review listing was cut');
  });

  const checks = memo(async (sha: string): Promise<Listing<CheckFact>> => {
    const [runs, statuses] = await Promise.all([
      paginate<{ id: number; name: string; status: string; conclusion: string | null; started_at: string | null; html_url: string | null }>(
        client,
        'GET /repos/{owner}/{repo}/commits/{ref}/check-runs',
        { ...base, ref: sha, filter: 'all' },
        { pick: (d) => (d as { check_runs: never[] }).check_runs },
      ),
      paginate<{ id: number; context: string; state: string; created_at: string; target_url: string | null }>(client, 'GET /repos/{owner}/{repo}/commits/{ref}/statuses', {
        ...base,
        ref: sha,
      }),
    ]);
    const items: CheckFact[] = [
      ...runs.items.map((r) => ({
        name: r.name,
        source: 'check_run' as const,
        status: r.status as CheckFact['status'],
        conclusion: r.conclusion,
        at: r.started_at ?? '',
        id: r.id,
        url: r.html_url,
      })),
      ...statuses.items.map((s) => ({
        name: s.context,
        source: 'status' as const,
        status: s.state === 'pending' ? ('pending' as const) : ('completed' as const),
        conclusion: s.state === 'pending' ? null : s.state,
        at: s.created_at,
        id: s.id,
        url: s.target_url,
      })),
    ];
    if (!runs.complete || !statuses.complete) return incomplete(items, `the checks of ${sha.slice(0, 7)} could not be read completely`);
    return { complete: true, items };
  });

  const deployments = memo(async (environment: string): Promise<Listing<DeploymentFact>> => {
    const res = await client.request('GET /repos/{owner}/{repo}/deployments', { ...base, environment, per_page: 1 });
    const list = res.data as { id: number; sha: string; ref: string; environment: string; created_at: string; creator: User }[];
    const items: DeploymentFact[] = [];
    for (const d of list.slice(0, 1)) {
      const st = await client.request('GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses', { ...base, deployment_id: d.id, per_page: 1 });
      const latest = (st.data as { state: string; created_at: string; description: string | null }[])[0];
      items.push({
        id: d.id,
        sha: d.sha,
        ref: d.ref,
        environment: d.environment,
        createdAt: d.created_at,
        creator: d.creator?.login ?? null,
        latestStatus: latest ? { state: latest.state, createdAt: latest.created_at, description: latest.description } : null,
      });
    }
    // Only the newest deployment counts for the gate, so only it is read.
    return { complete: true, items };
  });

  const treeOf = memo(async (sha: string): Promise<string> => {
    const res = await client.request('GET /repos/{owner}/{repo}/git/commits/{commit_sha}', { ...base, commit_sha: sha });
    return (res.data as { tree: { sha: string } }).tree.sha;
  });

  const membership = memo(async (key: string): Promise<TeamMembership> => {
    const [org, team, login] = key.split('\u0000') as [string, string, string];
    try {
      const res = await client.request('GET /orgs/{org}/teams/{team_slug}/memberships/{username}', { org, team_slug: team, username: login });
      return (res.data as { state: string }).state === 'active' ? 'active' : 'pending';
    } catch (err) {
      if (isNotFound(err)) return 'none';
      throw err;
    }
  });

  const permission = memo(async (login: string): Promise<RepoPermission> => {
    try {
      const res = await client.request('GET /repos/{owner}/{repo}/collaborators/{username}/permission', { ...base, username: login });
      const data = res.data as { permission: string; role_name?: string };
      const role = (data.role_name ?? data.permission) as RepoPermission;
      return ['admin', 'maintain', 'write', 'triage', 'read'].includes(role) ? role : data.permission === 'write' || data.permission === 'admin' ? (data.permission as RepoPermission) : 'none';
    } catch (err) {
      if (isNotFound(err)) return 'none';
      throw err;
    }
  });

  const mergedPulls = memo(async (): Promise<Listing<MergedPullFact>> => {
    const range = await commits('');
    const pr = await pullRequest();
    const inRange = new Set(range.items.map((c) => c.sha));
    const oldest = range.items.reduce<string>((min, c) => (c.author.date && (!min || c.author.date < min) ? c.author.date : min), '');
    const found: MergedPullFact[] = [];
    const seen = new Set<number>();
    let complete = false;
    for (let page = 1; page <= 10; page++) {
      const res = await client.request('GET /repos/{owner}/{repo}/pulls', { ...base, state: 'closed', sort: 'updated', direction: 'desc', per_page: 100, page });
      const list = res.data as (ApiPull & { updated_at: string; merged_at: string | null })[];
      for (const p of list) {
        if (!p.merged_at || !p.merge_commit_sha || p.number === pr.number || seen.has(p.number)) continue;
        if (inRange.has(p.merge_commit_sha)) {
          seen.add(p.number);
          found.push({ number: p.number, title: p.title, author: p.user?.login ?? 'ghost', htmlUrl: p.html_url, commits: [p.merge_commit_sha] });
        }
      }
      const last = list[list.length - 1];
      if (list.length < 100 || (last && oldest && last.updated_at < oldest)) {
        complete = true;
        break;
      }
    }
    return complete && range.complete ? { complete: true, items: found } : incomplete(found, 'not every merged pull request could be listed');
  });

  return {
    repository,
    pullRequest,
    commits: () => commits(''),
    files: () => files(''),
    reviews: () => reviews(''),
    checks,
    deployments,
    treeOf,
    teamMembership: (org, team, login) => membership(`${org}\u0000${team}\u0000${login}`),
    permission: (login) => permission(login.toLowerCase()),
    mergedPulls: () => mergedPulls(''),
  };
}
