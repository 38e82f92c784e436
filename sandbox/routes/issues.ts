/** `issues` REST operations (docs.github.com/rest/issues): Issue comments (on pull requests). */
import { editComment, mayEditComment } from '../world/comments.js';
import { addLabels } from '../world/review-requests.js';
import { actorAccount, repoOf, paginate, viaApp } from './helpers.js';
import { HttpError, type RouteTable } from './route.js';

/** A label as `issues/add-labels` answers it. */
function labelJson(sb: Parameters<RouteTable[string]>[0], r: ReturnType<typeof repoOf>, name: string): Record<string, unknown> {
  const l = r.labels.get(name.toLowerCase());
  const id = l?.id ?? 0;
  return {
    id,
    node_id: `LA_${id}`,
    url: `${sb.bases.api}/repos/${r.owner.login}/${r.name}/labels/${encodeURIComponent(name)}`,
    name,
    description: l?.description ?? null,
    color: l?.color ?? 'ededed',
    default: false,
  };
}

export const routes: RouteTable = {
  'issues/add-labels': async (sb, ctx) => {
    const r = repoOf(sb, ctx, true);
    const pr = r.pulls.get(Number(ctx.params.issue_number));
    if (!pr) throw new HttpError(404, 'Not Found');
    const body = ctx.body as unknown;
    const raw = Array.isArray(body) ? body : Array.isArray((body as { labels?: unknown }).labels) ? (body as { labels: unknown[] }).labels : [];
    const names = raw.map((x) => (typeof x === 'string' ? x : typeof (x as { name?: unknown }).name === 'string' ? (x as { name: string }).name : '')).filter((n) => n !== '');
    addLabels(r, pr, names);
    return { status: 200, body: pr.labels.map((n) => labelJson(sb, r, n)) };
  },
  'issues/list-comments': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const n = Number(ctx.params.issue_number);
    if (!r.pulls.has(n)) throw new HttpError(404, 'Not Found');
    const list = [...r.comments.values()].filter((c) => c.issueNumber === n).sort((a, b) => a.id - b.id);
    const p = paginate(ctx, list);
    return { status: 200, body: p.items.map((c) => sb.commentJson(r, c)), headers: p.headers };
  },
  'issues/create-comment': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const c = await sb.addComment(r, Number(ctx.params.issue_number), actorAccount(sb, ctx), String(ctx.body.body), viaApp(sb, ctx));
    return { status: 201, body: sb.commentJson(r, c) };
  },
  'issues/get-comment': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const c = r.comments.get(Number(ctx.params.comment_id));
    if (!c) throw new HttpError(404, 'Not Found');
    return { status: 200, body: sb.commentJson(r, c) };
  },
  'issues/update-comment': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const c = r.comments.get(Number(ctx.params.comment_id));
    if (!c) throw new HttpError(404, 'Not Found');
    const me = actorAccount(sb, ctx);
    if (ctx.actor.kind === 'invalid' || !mayEditComment(sb, r, c, ctx.actor))
      throw new HttpError(403, ctx.actor.kind === 'installation' ? 'Resource not accessible by integration' : 'Must have write access to edit this comment.');
    await editComment(sb, r, c, me, String(ctx.body.body));
    return { status: 200, body: sb.commentJson(r, c) };
  },
};
