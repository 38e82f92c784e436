/** Issue comments on pull requests: creating, editing, reactions. */
import type { GitHubSandbox } from '../github-sandbox.js';
import { iso } from '../json/common.js';
import { HttpError } from '../routes/route.js';
import type { Account, Actor, AppData, CommentState, RepoState } from '../state.js';

export async function addComment(sb: GitHubSandbox, r: RepoState, issueNumber: number, user: Account, body: string, viaApp: AppData | null = null): Promise<CommentState> {
  const pr = r.pulls.get(issueNumber);
  if (!pr) throw new HttpError(404, 'Not Found');
  const now = iso();
  const c: CommentState = { id: sb.nextId() + 1_000_000, issueNumber, user, body, createdAt: now, updatedAt: now, viaApp, reactions: [] };
  r.comments.set(c.id, c);
  await sb.emit(r, 'issue_comment', { action: 'created', issue: await sb.issueJson(r, pr, true), comment: sb.commentJson(r, c, true) }, user);
  return c;
}

export async function comment(sb: GitHubSandbox, repo: string, issueNumber: number, user: string, body: string): Promise<CommentState> {
  return sb.addComment(sb.repo(repo), issueNumber, sb.account(user), body);
}

/**
 * Whether `actor` may edit comment `c`, as GitHub allows: its author, or anyone with write access to the repository
 * — a user with write or admin permission, or an app installation with `issues` or `pull_requests` write (which
 * includes a workflow's `GITHUB_TOKEN`).
 */
export function mayEditComment(sb: GitHubSandbox, r: RepoState, c: CommentState, actor: Actor): boolean {
  if (actor.kind === 'user') return actor.account.id === c.user.id || ['write', 'admin'].includes(sb.permissionOf(r, actor.account.login));
  if (actor.kind === 'installation') return actor.bot.id === c.user.id || actor.app.permissions.issues === 'write' || actor.app.permissions.pull_requests === 'write';
  return false;
}

/** Replaces a comment's body as `editor` (emits `issue_comment.edited` with `changes.body` when it changed). */
export async function editComment(sb: GitHubSandbox, r: RepoState, c: CommentState, editor: Account, body: string): Promise<void> {
  const old = c.body;
  c.body = body;
  c.updatedAt = iso();
  const pr = r.pulls.get(c.issueNumber);
  if (pr && old !== c.body)
    await sb.emit(r, 'issue_comment', { action: 'edited', changes: { body: { from: old } }, issue: await sb.issueJson(r, pr, true), comment: sb.commentJson(r, c, true) }, editor);
}

/** Adds `user`'s reaction to a comment; the existing one (and `created: false`) when they already reacted so. */
export function addReaction(sb: GitHubSandbox, c: CommentState, user: Account, content: string): { reaction: CommentState['reactions'][number]; created: boolean } {
  const existing = c.reactions.find((x) => x.user.id === user.id && x.content === content);
  if (existing) return { reaction: existing, created: false };
  const reaction = { id: sb.nextId() + 60_000_000, user, content, createdAt: iso() };
  c.reactions.push(reaction);
  return { reaction, created: true };
}
