/**
 * Reads what the page of one repository shows: the policy's stages (the default branch's
 * `.github/stagegate.yml`), the delivery health from the audit trail, the open promotion pull requests with
 * the app's own `stagegate` check on their heads, the stage locks, and per stage the commits of its source branch
 * not yet in it (`compare`). Each part is read on its own: one that fails says so on the page and nothing is guessed.
 */
import type { AuditDatabase } from '../../src/audit/types.js';
import { loadConfig } from '../../src/config/load.js';
import type { GitHubRequester } from '../../src/github/client.js';
import { githubConfigSource } from '../../src/github/config-source.js';
import { deliveryHealth } from '../../src/health/compute.js';
import type { GateState, OpenPromotion, Pending, Read, RepoView, StagePolicy, Viewer } from '../../src/health/page/view.js';
import type { ChatopsState } from '../../src/locks/open.js';
import { activeLocks } from '../../src/locks/store.js';
import { CHECK_NAME } from '../../src/protocol/check.js';

/** What reading needs. */
export interface RepoDataDeps {
  /** The audit store's read-only aggregates. */
  audit: Pick<AuditDatabase, 'read'>;
  chatops: ChatopsState;
  now: () => Date;
}

/** The repository being read. */
export interface RepoTarget {
  owner: string;
  repo: string;
  htmlUrl: string;
  defaultBranch: string;
}

/** Commits listed per stage (the rest are counted and linked). */
const PENDING_LISTED = 20;

async function attempt<T>(fn: () => Promise<T>): Promise<Read<T>> {
  try {
    return { ok: true, value: await fn() };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

async function policyOf(client: GitHubRequester, t: RepoTarget): Promise<StagePolicy[]> {
  const loaded = await loadConfig({ source: githubConfigSource(client), owner: t.owner, repo: t.repo, baseRef: t.defaultBranch, defaultBranch: t.defaultBranch });
  if (loaded.kind === 'absent') throw new Error(`no .github/stagegate.yml on ${t.defaultBranch}`);
  if (loaded.kind === 'invalid') throw new Error(loaded.errors.map((e) => `${e.file}${e.line ? `:${e.line}` : ''} ${e.path}: ${e.message}`).join('; '));
  return loaded.config.stages.map((s) => ({ name: s.name, branch: s.branch, from: s.from }));
}

async function gateOf(client: GitHubRequester, t: RepoTarget, sha: string): Promise<GateState> {
  const res = await client.request('GET /repos/{owner}/{repo}/commits/{ref}/check-runs', { owner: t.owner, repo: t.repo, ref: sha, check_name: CHECK_NAME, filter: 'latest', per_page: 1 });
  const run = res.data.check_runs[0];
  if (!run) return { state: 'none', title: null, url: null };
  const state = run.status !== 'completed' ? 'pending' : run.conclusion === 'success' ? 'green' : run.conclusion === 'neutral' ? 'pending' : 'red';
  return { state, title: run.output?.title ?? null, url: run.html_url ?? null };
}

async function promotionsOf(client: GitHubRequester, t: RepoTarget, stages: StagePolicy[]): Promise<OpenPromotion[]> {
  const perStage = await Promise.all(
    stages.map(async (s) => {
      const res = await client.request('GET /repos/{owner}/{repo}/pulls', { owner: t.owner, repo: t.repo, state: 'open', base: s.branch, head: `${t.owner}:${s.from}`, per_page: 100 });
      return Promise.all(
        res.data.map(async (pr): Promise<OpenPromotion> => ({
          stage: s.name,
          number: pr.number,
          title: pr.title,
          url: pr.html_url,
          author: pr.user?.login ?? null,
          headSha: pr.head.sha,
          gate: await attempt(() => gateOf(client, t, pr.head.sha)),
        })),
      );
    }),
  );
  return perStage.flat();
}

async function pendingOf(client: GitHubRequester, t: RepoTarget, stages: StagePolicy[]): Promise<Pending[]> {
  return Promise.all(
    stages.map(async (s): Promise<Pending> => {
      const res = await client.request('GET /repos/{owner}/{repo}/compare/{basehead}', { owner: t.owner, repo: t.repo, basehead: `${s.branch}...${s.from}`, per_page: PENDING_LISTED });
      const commits = res.data.commits
        .slice()
        .reverse()
        .map((c) => ({ sha: c.sha, message: c.commit.message.split('\n')[0] ?? '', author: c.author?.login ?? c.commit.author?.name ?? null, url: c.html_url }));
      return { stage: s.name, base: s.branch, head: s.from, total: res.data.total_commits, commits, compareUrl: `${t.htmlUrl}/compare/${s.branch}...${s.from}` };
    }),
  );
}

/** Everything the page of `t` shows, read with the app's installation client. */
export async function readRepoView(deps: RepoDataDeps, client: GitHubRequester, t: RepoTarget, viewer: Viewer): Promise<RepoView> {
  const repository = `${t.owner}/${t.repo}`;
  const now = deps.now();
  const policy = await attempt(() => policyOf(client, t));
  const stages = policy.ok ? policy.value : [];
  const noPolicy = policy.ok ? null : `the policy could not be read (${policy.error})`;
  const [health, promotions, locks, pending] = await Promise.all([
    attempt(() => deliveryHealth(deps.audit, { repository, stages: stages.map((s) => s.name), now })),
    noPolicy ? Promise.resolve<Read<OpenPromotion[]>>({ ok: false, error: noPolicy }) : attempt(() => promotionsOf(client, t, stages)),
    attempt(() => deps.chatops.read((db) => activeLocks(db, repository, now))),
    noPolicy ? Promise.resolve<Read<Pending[]>>({ ok: false, error: noPolicy }) : attempt(() => pendingOf(client, t, stages)),
  ]);
  return { repository, htmlUrl: t.htmlUrl, viewer, policy, health, promotions, locks, pending };
}
