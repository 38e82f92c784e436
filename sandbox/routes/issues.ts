/** `issues` REST operations (docs.github.com/rest/issues): issues, and issue comments (on issues and pull requests). */
import { anyIssueJson, plainIssueJson } from '../json/issues.js';
import { deleteComment, editComment, mayEditComment } from '../world/comments.js';
import { createIssue, setIssueState } from '../world/issues.js';
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
  'issues/create': async (sb, ctx) => {
    const r = repoOf(sb, ctx, true);
    const a = ctx.actor;
    // An app needs `issues: write`; assignees stick only for those with push access (else GitHub drops them silently).
    if (a.kind === 'installation' && a.app.permissions.issues !== 'write') throw new HttpError(403, 'Resource not accessible by integration');
    const canPush = a.kind === 'installation' || (a.kind === 'user' && ['write', 'admin'].includes(sb.permissionOf(r, a.account.login)));
    const assignees = Array.isArray(ctx.body.assignees) ? ctx.body.assignees.map(String) : typeof ctx.body.assignee === 'string' ? [ctx.body.assignee] : [];
    const body = typeof ctx.body.body === 'string' ? ctx.body.body : null;
    const i = await createIssue(sb, r, actorAccount(sb, ctx), { title: String(ctx.body.title ?? ''), body, assignees }, { canPush, viaApp: viaApp(sb, ctx) });
    return { status: 201, body: plainIssueJson(sb, r, i) };
  },
  'issues/get': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const json = await anyIssueJson(sb, r, Number(ctx.params.issue_number));
    if (!json) throw new HttpError(404, 'Not Found');
    return { status: 200, body: json };
  },
  'issues/update': async (sb, ctx) => {
    const r = repoOf(sb, ctx, true);
    const i = r.issues.get(Number(ctx.params.issue_number));
    if (!i) throw new HttpError(404, 'Not Found');
    if (ctx.actor.kind === 'installation' && ctx.actor.app.permissions.issues !== 'write') throw new HttpError(403, 'Resource not accessible by integration');
    if (typeof ctx.body.title === 'string') i.title = ctx.body.title;
    if (typeof ctx.body.body === 'string' || ctx.body.body === null) i.body = ctx.body.body as string | null;
    const state = ctx.body.state;
    if (state === 'open' || state === 'closed') {
      const reason = ctx.body.state_reason;
      await setIssueState(sb, r, i, actorAccount(sb, ctx), state, reason === 'completed' || reason === 'not_planned' || reason === 'reopened' ? reason : null);
    }
    return { status: 200, body: plainIssueJson(sb, r, i) };
  },
  'issues/delete-comment': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const c = r.comments.get(Number(ctx.params.comment_id));
    if (!c) throw new HttpError(404, 'Not Found');
    if (ctx.actor.kind === 'invalid' || !mayEditComment(sb, r, c, ctx.actor)) throw new HttpError(403, 'Must have write access to delete this comment.');
    await deleteComment(sb, r, c, actorAccount(sb, ctx));
    return { status: 204 };
  },
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
    if (!r.pulls.has(n) && !r.issues.has(n)) throw new HttpError(404, 'Not Found');
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
