/** Issues that are not pull requests: opening (with assignees), closing, reopening. */
import type { GitHubSandbox } from '../github-sandbox.js';
import { iso } from '../json/common.js';
import { plainIssueJson } from '../json/issues.js';
import { HttpError } from '../routes/route.js';
import type { Account, AppData, IssueState, RepoState } from '../state.js';

/** Whether `login` can be assigned in `r` (GitHub: collaborators with access; for an org, its members with access). */
function assignable(sb: GitHubSandbox, r: RepoState, login: string): boolean {
  return sb.permissionOf(r, login) !== 'none';
}

/**
 * Opens an issue as `user`, as `POST /repos/{owner}/{repo}/issues` does: numbers are shared with pull
 * requests; assignees are set only when the creator has push access (else silently dropped, as GitHub
 * documents), and an assignee who cannot be assigned is a 422 `Validation Failed`. Emits `issues.opened`.
 */
export async function createIssue(
  sb: GitHubSandbox,
  r: RepoState,
  user: Account,
  p: { title: string; body?: string | null; assignees?: string[] },
  opts: { canPush: boolean; viaApp?: AppData | null },
): Promise<IssueState> {
  if (!p.title || !p.title.trim()) throw new HttpError(422, 'Validation Failed', { errors: [{ resource: 'Issue', field: 'title', code: 'missing_field' }] });
  const wanted = opts.canPush ? (p.assignees ?? []) : [];
  const bad = wanted.filter((l) => !sb.accounts.has(l.toLowerCase()) || !assignable(sb, r, l));
  if (bad.length) throw new HttpError(422, 'Validation Failed', { errors: bad.map((value) => ({ value, resource: 'Issue', field: 'assignees', code: 'invalid' })) });
  const now = iso();
  const number = r.nextNumber++;
  const i: IssueState = {
    id: sb.nextId() + 70_000_000,
    number,
    title: p.title,
    body: p.body ?? null,
    user,
    state: 'open',
    stateReason: null,
    assignees: wanted.map((l) => sb.account(l)),
    labels: [],
    createdAt: now,
    updatedAt: now,
    closedAt: null,
    viaApp: opts.viaApp ?? null,
  };
  r.issues.set(number, i);
  await sb.emit(r, 'issues', { action: 'opened', issue: plainIssueJson(sb, r, i) }, user);
  return i;
}

/** Closes or reopens an issue (`state`, `state_reason`) as `by`; emits `issues.closed` / `issues.reopened`. */
export async function setIssueState(sb: GitHubSandbox, r: RepoState, i: IssueState, by: Account, state: 'open' | 'closed', reason: IssueState['stateReason']): Promise<void> {
  if (i.state === state) return;
  i.state = state;
  i.stateReason = state === 'closed' ? (reason ?? 'completed') : 'reopened';
  i.closedAt = state === 'closed' ? iso() : null;
  i.updatedAt = iso();
  await sb.emit(r, 'issues', { action: state === 'closed' ? 'closed' : 'reopened', issue: plainIssueJson(sb, r, i) }, by);
}
