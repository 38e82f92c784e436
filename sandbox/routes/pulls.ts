/** `pulls` REST operations (docs.github.com/rest/pulls): Pull requests and their reviews. */
import type { GitHubSandbox } from '../github-sandbox.js';
import { commitJson, diffEntryJson } from '../json/commits.js';
import { userJson } from '../json/users.js';
import { removeReviewRequests, requestReviewers } from '../world/review-requests.js';
import { actorAccount, repoOf, paginate, pullOf } from './helpers.js';
import { HttpError, type RouteTable } from './route.js';

export const routes: RouteTable = {
  'pulls/list': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const state = ctx.query.state ?? 'open';
    let list = [...r.pulls.values()].filter((p) => state === 'all' || p.state === state);
    if (ctx.query.head) {
      const [owner = '', ref] = ctx.query.head.includes(':') ? ctx.query.head.split(':', 2) : [r.owner.login, ctx.query.head];
      list = list.filter((p) => p.headRepo.owner.login.toLowerCase() === owner.toLowerCase() && p.headRef === ref);
    }
    if (ctx.query.base) list = list.filter((p) => p.baseRef === ctx.query.base);
    const asc = ctx.query.direction === 'asc';
    list.sort((a, b) => (asc ? a.number - b.number : b.number - a.number));
    const p = paginate(ctx, list);
    return { status: 200, body: await Promise.all(p.items.map((x) => sb.pullJson(r, x, false, true))), headers: p.headers };
  },
  'pulls/get': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    return { status: 200, body: await sb.pullJson(r, pullOf(r, ctx.params.pull_number)) };
  },
  'pulls/create': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const user = actorAccount(sb, ctx);
    const headSpec = String(ctx.body.head);
    let headRepo = r;
    let headRef = headSpec;
    if (headSpec.includes(':')) {
      const [owner = '', ref = ''] = headSpec.split(':', 2);
      headRef = ref;
      const fork =
        sb.findRepo(owner, typeof ctx.body.head_repo === 'string' ? ctx.body.head_repo : r.name) ??
        [...sb.repos.values()].find((x) => x.owner.login.toLowerCase() === owner.toLowerCase() && x.forkOf === r);
      if (!fork) throw new HttpError(422, 'Validation Failed', { errors: [{ resource: 'PullRequest', field: 'head', code: 'invalid' }] });
      headRepo = fork;
    }
    const pr = await sb.createPull(r, {
      headRepo,
      headRef,
      baseRef: String(ctx.body.base),
      title: String(ctx.body.title ?? ''),
      body: typeof ctx.body.body === 'string' ? ctx.body.body : null,
      user,
      draft: ctx.body.draft === true,
    });
    return { status: 201, body: await sb.pullJson(r, pr) };
  },
  'pulls/update': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const pr = pullOf(r, ctx.params.pull_number);
    const user = actorAccount(sb, ctx);
    if (user.id !== pr.user.id && ctx.actor.kind === 'user' && sb.permissionOf(r, user.login) === 'read') throw new HttpError(403, 'Resource not accessible by personal access token');
    const b = ctx.body;
    await sb.retarget(
      r,
      pr,
      typeof b.base === 'string' ? b.base : pr.baseRef,
      user,
      typeof b.title === 'string' ? b.title : undefined,
      typeof b.body === 'string' ? b.body : undefined,
      b.state === 'open' || b.state === 'closed' ? b.state : undefined,
    );
    return { status: 200, body: await sb.pullJson(r, pr) };
  },
  'pulls/merge': async (sb, ctx) => {
    const r = repoOf(sb, ctx, true);
    const pr = pullOf(r, ctx.params.pull_number);
    const opts: Parameters<GitHubSandbox['mergePull']>[3] = {};
    if (typeof ctx.body.sha === 'string') opts.sha = ctx.body.sha;
    if (typeof ctx.body.merge_method === 'string') opts.method = ctx.body.merge_method as 'merge' | 'squash' | 'rebase';
    if (typeof ctx.body.commit_title === 'string') opts.title = ctx.body.commit_title;
    if (typeof ctx.body.commit_message === 'string') opts.message = ctx.body.commit_message;
    const sha = await sb.mergePull(r, pr, actorAccount(sb, ctx), opts);
    return { status: 200, body: { sha, merged: true, message: 'Pull Request successfully merged' } };
  },
  'pulls/request-reviewers': async (sb, ctx) => {
    const r = repoOf(sb, ctx, true);
    const pr = pullOf(r, ctx.params.pull_number);
    const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
    await requestReviewers(sb, r, pr, actorAccount(sb, ctx), { reviewers: list(ctx.body.reviewers), teamReviewers: list(ctx.body.team_reviewers) });
    return { status: 201, body: await sb.pullJson(r, pr, false, true) };
  },
  'pulls/list-requested-reviewers': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const pr = pullOf(r, ctx.params.pull_number);
    return { status: 200, body: { users: pr.requestedReviewers.map((u) => userJson(sb.bases, u)), teams: pr.requestedTeams.map((t) => sb.teamJson(t)) } };
  },
  'pulls/remove-requested-reviewers': async (sb, ctx) => {
    const r = repoOf(sb, ctx, true);
    const pr = pullOf(r, ctx.params.pull_number);
    const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
    removeReviewRequests(pr, { reviewers: list(ctx.body.reviewers), teamReviewers: list(ctx.body.team_reviewers) });
    return { status: 200, body: await sb.pullJson(r, pr, false, true) };
  },
  'pulls/list-commits': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const pr = pullOf(r, ctx.params.pull_number);
    const base = pr.merged ? pr.baseShaAtMerge : await r.git.branchSha(pr.baseRef);
    const shas = (await r.git.revList(base, pr.headSha)).slice(0, 250);
    const p = paginate(ctx, shas);
    await r.git.prefetch(p.items);
    const body = [];
    for (const s of p.items) body.push(commitJson(sb.bases, r, await sb.commitView(r, s)));
    return { status: 200, body, headers: p.headers };
  },
  'pulls/list-files': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const pr = pullOf(r, ctx.params.pull_number);
    const base = pr.merged ? pr.baseShaAtMerge : await r.git.branchSha(pr.baseRef);
    const mb = base ? await r.git.mergeBase(base, pr.headSha) : null;
    const files = (await r.git.diff(mb, pr.headSha)).slice(0, 3000);
    const p = paginate(ctx, files);
    return { status: 200, body: p.items.map((f) => diffEntryJson(sb.bases, r, pr.headSha, f)), headers: p.headers };
  },
  'pulls/list-reviews': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const pr = pullOf(r, ctx.params.pull_number);
    const me = ctx.actor.kind === 'user' ? ctx.actor.account.id : ctx.actor.kind === 'installation' ? ctx.actor.bot.id : -1;
    const list = [...r.reviews.values()].filter((x) => x.pullNumber === pr.number && (x.state !== 'PENDING' || x.user.id === me)).sort((a, b) => a.id - b.id);
    const p = paginate(ctx, list);
    return { status: 200, body: p.items.map((x) => sb.reviewJson(r, x)), headers: p.headers };
  },
  'pulls/get-review': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const pr = pullOf(r, ctx.params.pull_number);
    const rv = r.reviews.get(Number(ctx.params.review_id));
    if (!rv || rv.pullNumber !== pr.number) throw new HttpError(404, 'Not Found');
    return { status: 200, body: sb.reviewJson(r, rv) };
  },
  'pulls/create-review': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const pr = pullOf(r, ctx.params.pull_number);
    const input: { event?: string; body?: string; commitId?: string } = {};
    if (typeof ctx.body.event === 'string') input.event = ctx.body.event;
    if (typeof ctx.body.body === 'string') input.body = ctx.body.body;
    if (typeof ctx.body.commit_id === 'string') input.commitId = ctx.body.commit_id;
    const rv = await sb.submitReview(r, pr, actorAccount(sb, ctx), input);
    return { status: 200, body: sb.reviewJson(r, rv) };
  },
  'pulls/dismiss-review': async (sb, ctx) => {
    const r = repoOf(sb, ctx, true);
    const pr = pullOf(r, ctx.params.pull_number);
    const rv = r.reviews.get(Number(ctx.params.review_id));
    if (!rv || rv.pullNumber !== pr.number) throw new HttpError(404, 'Not Found');
    await sb.dismissReview(r, pr, rv, actorAccount(sb, ctx), String(ctx.body.message ?? ''));
    return { status: 200, body: sb.reviewJson(r, rv) };
  },
};
