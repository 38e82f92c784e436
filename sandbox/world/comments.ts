/** Issue comments on pull requests and issues: creating, editing, deleting, reactions. */
import type { GitHubSandbox } from '../github-sandbox.js';
import { iso } from '../json/common.js';
import { anyIssueJson } from '../json/issues.js';
import { HttpError } from '../routes/route.js';
import type { Account, Actor, AppData, CommentState, RepoState } from '../state.js';

/** The issue side of pull request or issue `n` (404 as GitHub answers when there is neither). */
async function issueOf(sb: GitHubSandbox, r: RepoState, n: number): Promise<Record<string, unknown>> {
  const issue = await anyIssueJson(sb, r, n, true);
  if (!issue) throw new HttpError(404, 'Not Found');
  return issue;
}

export async function addComment(sb: GitHubSandbox, r: RepoState, issueNumber: number, user: Account, body: string, viaApp: AppData | null = null): Promise<CommentState> {
  await issueOf(sb, r, issueNumber);
  const now = iso();
  const c: CommentState = { id: sb.nextId() + 1_000_000, issueNumber, user, body, createdAt: now, updatedAt: now, viaApp, reactions: [] };
  r.comments.set(c.id, c);
  await sb.emit(r, 'issue_comment', { action: 'created', issue: await issueOf(sb, r, issueNumber), comment: sb.commentJson(r, c, true) }, user);
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
  if (old !== c.body)
    await sb.emit(r, 'issue_comment', { action: 'edited', changes: { body: { from: old } }, issue: await issueOf(sb, r, c.issueNumber), comment: sb.commentJson(r, c, true) }, editor);
}

/** Deletes a comment as `by` (who may edit it may delete it); emits `issue_comment.deleted`. */
export async function deleteComment(sb: GitHubSandbox, r: RepoState, c: CommentState, by: Account): Promise<void> {
  const json = sb.commentJson(r, c, true);
  r.comments.delete(c.id);
  await sb.emit(r, 'issue_comment', { action: 'deleted', issue: await issueOf(sb, r, c.issueNumber), comment: json }, by);
}

/** Adds `user`'s reaction to a comment; the existing one (and `created: false`) when they already reacted so. */
export function addReaction(sb: GitHubSandbox, c: CommentState, user: Account, content: string): { reaction: CommentState['reactions'][number]; created: boolean } {
  const existing = c.reactions.find((x) => x.user.id === user.id && x.content === content);
  if (existing) return { reaction: existing, created: false };
  const reaction = { id: sb.nextId() + 60_000_000, user, content, createdAt: iso() };
  c.reactions.push(reaction);
  return { reaction, created: true };
}
