/** `commits` REST operations (docs.github.com/rest/commits): Commits and commit statuses. */
import type { GitHubSandbox } from '../github-sandbox.js';
import { commitJson, diffEntryJson } from '../json/commits.js';
import { repoApiUrl, repoJson } from '../json/repos.js';
import type { PullState, RepoState } from '../state.js';
import { actorAccount, repoOf, paginate, resolveRef } from './helpers.js';
import type { RouteTable } from './route.js';

async function commitFiles(sb: GitHubSandbox, r: RepoState, sha: string): Promise<Array<Record<string, unknown>>> {
  const info = await r.git.commitInfo(sha);
  const parent = info?.parents[0] ?? null;
  return (await r.git.diff(parent, sha)).map((f) => diffEntryJson(sb.bases, r, sha, f));
}

function combinedState(states: string[]): string {
  if (states.length === 0) return 'pending';
  if (states.some((s) => s === 'error' || s === 'failure')) return 'failure';
  if (states.some((s) => s === 'pending')) return 'pending';
  return 'success';
}

export const routes: RouteTable = {
  'repos/get-commit': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const sha = await resolveRef(r, ctx.params.ref ?? '');
    return { status: 200, body: commitJson(sb.bases, r, await sb.commitView(r, sha), await commitFiles(sb, r, sha)) };
  },
  'repos/list-commits': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const head = await resolveRef(r, ctx.query.sha ?? r.defaultBranch);
    const shas = (await r.git.revList(null, head)).reverse();
    const p = paginate(ctx, shas);
    await r.git.prefetch(p.items);
    const body = [];
    for (const s of p.items) body.push(commitJson(sb.bases, r, await sb.commitView(r, s)));
    return { status: 200, body, headers: p.headers };
  },
  'repos/list-pull-requests-associated-with-commit': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const sha = await resolveRef(r, ctx.params.commit_sha ?? '');
    const found: PullState[] = [];
    for (const pr of r.pulls.values()) {
      if (pr.mergeCommitSha === sha) {
        found.push(pr);
        continue;
      }
      const base = pr.merged ? pr.baseShaAtMerge : await r.git.branchSha(pr.baseRef);
      if (!(await r.git.isAncestor(sha, pr.headSha))) continue;
      if (base && (await r.git.isAncestor(sha, base)) && !pr.merged) continue;
      if (base && pr.merged && (await r.git.isAncestor(sha, base))) continue;
      found.push(pr);
    }
    found.sort((a, b) => b.number - a.number);
    const p = paginate(ctx, found);
    return { status: 200, body: await Promise.all(p.items.map((x) => sb.pullJson(r, x, false, true))), headers: p.headers };
  },
  'repos/get-combined-status-for-ref': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const sha = await resolveRef(r, ctx.params.ref ?? '');
    const latest = new Map<string, (typeof r.statuses)[number]>();
    for (const s of r.statuses.filter((x) => x.sha === sha)) latest.set(s.context, s);
    const statuses = [...latest.values()];
    const p = paginate(ctx, statuses, 100, 100);
    const min = repoJson(sb.bases, r);
    return {
      status: 200,
      body: {
        state: combinedState(statuses.map((s) => s.state)),
        statuses: p.items.map((s) => sb.statusJson(r, s, true)),
        sha,
        total_count: statuses.length,
        repository: min,
        commit_url: `${repoApiUrl(sb.bases, r)}/commits/${sha}`,
        url: `${repoApiUrl(sb.bases, r)}/commits/${sha}/status`,
      },
      headers: p.headers,
    };
  },
  'repos/list-commit-statuses-for-ref': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const sha = await resolveRef(r, ctx.params.ref ?? '');
    const list = r.statuses.filter((x) => x.sha === sha).reverse();
    const p = paginate(ctx, list);
    return { status: 200, body: p.items.map((s) => sb.statusJson(r, s)), headers: p.headers };
  },
  'repos/create-commit-status': async (sb, ctx) => {
    const r = repoOf(sb, ctx, true);
    const st = await sb.createStatus(r, ctx.params.sha ?? '', actorAccount(sb, ctx), ctx.body);
    return { status: 201, body: sb.statusJson(r, st) };
  },
};
