/**
 * Branch protection as GitHub enforces it: required status checks pinned to the app that must provide them, push
 * restrictions, force pushes and deletions, required approving reviews; an admin may override when
 * `enforce_admins` is off, and each override is recorded (GitHub's audit log `protected_branch.policy_override`).
 */
import type { GitHubSandbox } from '../github-sandbox.js';
import { iso } from '../json/common.js';
import { HttpError } from '../routes/route.js';
import type { Account, AppData, BranchProtectionState, ProtectionBypass, PullState, RepoState } from '../state.js';

type Body = Record<string, unknown>;

/** Sets `branch`'s protection from a `PUT .../branches/{branch}/protection` body (422 for an unknown user, team or app). */
export function setBranchProtection(sb: GitHubSandbox, r: RepoState, branch: string, b: Body): BranchProtectionState {
  const rsc = b.required_status_checks as { strict?: boolean; contexts?: string[]; checks?: Array<{ context: string; app_id?: number }> } | null;
  const rpr = b.required_pull_request_reviews as {
    dismiss_stale_reviews?: boolean;
    require_code_owner_reviews?: boolean;
    required_approving_review_count?: number;
    require_last_push_approval?: boolean;
  } | null;
  const res = b.restrictions as { users?: string[]; teams?: string[]; apps?: string[] } | null;
  if (res && r.owner.type !== 'Organization') throw new HttpError(422, 'Validation Failed', { errors: ['Only organization repositories can have users and team restrictions'] });
  const restrictions = res ? { users: res.users ?? [], teams: res.teams ?? [], apps: res.apps ?? [] } : null;
  for (const u of restrictions?.users ?? []) if (!sb.findAccount(u)) throw new HttpError(422, 'Validation Failed', { errors: [`User ${u} is not a collaborator`] });
  for (const t of restrictions?.teams ?? [])
    if (!sb.teams.get(`${r.owner.login.toLowerCase()}/${t.toLowerCase()}`)) throw new HttpError(422, 'Validation Failed', { errors: [`Team ${t} does not exist`] });
  for (const a of restrictions?.apps ?? []) if (!appBySlug(sb, a)) throw new HttpError(422, 'Validation Failed', { errors: [`App ${a} is not installed`] });
  const p: BranchProtectionState = {
    requiredStatusChecks: rsc ? { strict: rsc.strict === true, checks: requiredChecks(sb, r, rsc) } : null,
    enforceAdmins: b.enforce_admins === true,
    requiredPullRequestReviews: rpr
      ? {
          dismissStaleReviews: rpr.dismiss_stale_reviews === true,
          requireCodeOwnerReviews: rpr.require_code_owner_reviews === true,
          requiredApprovingReviewCount: rpr.required_approving_review_count ?? 1,
          requireLastPushApproval: rpr.require_last_push_approval === true,
        }
      : null,
    restrictions,
    requiredLinearHistory: b.required_linear_history === true,
    allowForcePushes: b.allow_force_pushes === true,
    allowDeletions: b.allow_deletions === true,
    blockCreations: b.block_creations === true,
    requiredConversationResolution: b.required_conversation_resolution === true,
    lockBranch: b.lock_branch === true,
    allowForkSyncing: b.allow_fork_syncing === true,
  };
  r.protections.set(branch, p);
  return p;
}

/** Replaces the required checks (`PATCH .../protection/required_status_checks`). */
export function updateRequiredChecks(sb: GitHubSandbox, r: RepoState, p: BranchProtectionState, b: Body): void {
  const cur = p.requiredStatusChecks ?? { strict: false, checks: [] };
  const next = { strict: typeof b.strict === 'boolean' ? b.strict : cur.strict, checks: cur.checks };
  if (Array.isArray(b.checks) || Array.isArray(b.contexts)) next.checks = requiredChecks(sb, r, b as { contexts?: string[]; checks?: Array<{ context: string; app_id?: number }> });
  p.requiredStatusChecks = next;
}

/**
 * The app each required check must come from, as GitHub documents `app_id`: given, it is that app (-1: any source);
 * omitted — and for the deprecated `contexts` — the app that most recently provided the check, or any source when
 * no app did.
 */
function requiredChecks(sb: GitHubSandbox, r: RepoState, b: { contexts?: string[]; checks?: Array<{ context: string; app_id?: number }> }): Array<{ context: string; appId: number | null }> {
  const given: Array<{ context: string; app_id?: number }> = b.checks ?? (b.contexts ?? []).map((context) => ({ context }));
  return given.map((c) => ({ context: c.context, appId: c.app_id === -1 ? null : (c.app_id ?? recentProvider(sb, r, c.context)) }));
}

function recentProvider(sb: GitHubSandbox, r: RepoState, context: string): number | null {
  const run = [...r.checkRuns.values()].filter((c) => c.name === context).sort((a, b) => b.id - a.id)[0];
  const status = [...r.statuses].reverse().find((s) => s.context === context && s.creator.type === 'Bot');
  if (run && (!status || run.id > status.id)) return run.app.id;
  return status ? (appOfBot(sb, status.creator)?.id ?? null) : null;
}

/** The app a bot account belongs to (`<slug>[bot]`), among the sandbox's apps. */
export function appOfBot(sb: GitHubSandbox, a: Account): AppData | null {
  if (a.type !== 'Bot') return null;
  return appBySlug(sb, a.login.replace(/\[bot\]$/, ''));
}

function appBySlug(sb: GitHubSandbox, slug: string): AppData | null {
  return [sb.app, sb.actionsApp, sb.ciApp].find((x) => x.slug === slug) ?? null;
}

/** Why `sha` does not satisfy `branch`'s required checks (empty when it does; a check from another source does not count). */
export function requiredCheckFailures(sb: GitHubSandbox, r: RepoState, p: BranchProtectionState, sha: string): string[] {
  const out: string[] = [];
  for (const req of p.requiredStatusChecks?.checks ?? []) {
    const fromSource = (app: AppData | null): boolean => req.appId === null || app?.id === req.appId;
    const runs = [...r.checkRuns.values()].filter((c) => c.headSha === sha && c.name === req.context && fromSource(c.app)).sort((a, b) => b.id - a.id);
    const latestRun = runs[0];
    const status = [...r.statuses].reverse().find((s) => s.sha === sha && s.context === req.context && fromSource(appOfBot(sb, s.creator)));
    if (!latestRun && !status) {
      out.push(`Required status check "${req.context}" is expected.`);
      continue;
    }
    const runOk = !latestRun || (latestRun.status === 'completed' && ['success', 'neutral', 'skipped'].includes(latestRun.conclusion ?? ''));
    const statusOk = !status || status.state === 'success';
    if (!runOk || !statusOk) out.push(`Required status check "${req.context}" is ${(latestRun && latestRun.status !== 'completed') || status?.state === 'pending' ? 'expected' : 'failing'}.`);
  }
  return out;
}

/** Whether `who` may push to a branch with `p`'s restrictions (users, members of teams and their child teams, apps). */
export function mayPush(sb: GitHubSandbox, r: RepoState, p: BranchProtectionState, who: Account | null): boolean {
  if (!p.restrictions) return true;
  if (!who) return false;
  const { users, teams, apps } = p.restrictions;
  if (users.some((u) => u.toLowerCase() === who.login.toLowerCase())) return true;
  const app = appOfBot(sb, who);
  if (app && apps.includes(app.slug)) return true;
  return teams.some((t) => sb.isTeamMember(r.owner.login, t, who.login));
}

/** Why a merge of `pr` by `sender` would be refused by the base branch's protection (empty when it would not). */
export async function mergeBlockers(sb: GitHubSandbox, r: RepoState, pr: PullState, sender: Account | null): Promise<string[]> {
  const p = r.protections.get(pr.baseRef);
  if (!p) return [];
  const out = requiredCheckFailures(sb, r, p, pr.headSha);
  if (p.requiredStatusChecks?.strict) {
    const base = await r.git.branchSha(pr.baseRef);
    if (base && !(await r.git.isAncestor(base, pr.headSha))) out.push('Head branch was not up to date with the base branch.');
  }
  const need = p.requiredPullRequestReviews?.requiredApprovingReviewCount ?? 0;
  if (need > 0) {
    const latest = new Map<number, string>();
    for (const rv of [...r.reviews.values()].filter((x) => x.pullNumber === pr.number && x.state !== 'COMMENTED' && x.state !== 'PENDING').sort((a, b) => a.id - b.id))
      latest.set(rv.user.id, rv.state);
    const approvals = [...latest.entries()].filter(([id, state]) => state === 'APPROVED' && [...sb.accounts.values()].some((a) => a.id === id && sb.permissionOf(r, a.login) !== 'read')).length;
    if ([...latest.values()].includes('CHANGES_REQUESTED')) out.push('Changes were requested by a reviewer with write access.');
    if (approvals < need) out.push(`At least ${need} approving review${need === 1 ? ' is' : 's are'} required by reviewers with write access.`);
  }
  if (sender && !mayPush(sb, r, p, sender)) out.push('You are not authorized to push to this branch.');
  return out;
}

/** Why a direct update of `ref` (a push or the refs API, not a PR merge) would be refused (GH006 reasons). */
export async function pushBlockers(sb: GitHubSandbox, r: RepoState, ref: string, before: string | null, after: string | null, pusher: Account | null): Promise<string[]> {
  const p = ref.startsWith('refs/heads/') ? r.protections.get(ref.slice('refs/heads/'.length)) : undefined;
  if (!p) return [];
  const out: string[] = [];
  if (p.lockBranch) out.push('Cannot update this protected ref: the branch is locked.');
  if (!mayPush(sb, r, p, pusher)) out.push('You are not allowed to push code to this protected branch.');
  if (after === null) {
    if (!p.allowDeletions) out.push('Cannot delete this protected branch.');
    return out;
  }
  if (before && !p.allowForcePushes && !(await r.git.isAncestor(before, after))) out.push('Cannot force-push to this branch.');
  if (p.requiredPullRequestReviews) out.push('Changes must be made through a pull request.');
  out.push(...requiredCheckFailures(sb, r, p, after));
  return out;
}

/**
 * Whether an update refused by `blockers` goes ahead: no blockers, or `actor` is an admin and the rule does not
 * enforce admins (an override, to record with {@link recordBypass}). Otherwise throws HttpError `status`.
 */
export function overrides(sb: GitHubSandbox, r: RepoState, o: { ref: string; actor: Account | null; merge: boolean; blockers: string[]; status: number }): boolean {
  if (o.blockers.length === 0) return false;
  const p = r.protections.get(o.ref.replace(/^refs\/heads\//, ''));
  const admin = o.actor !== null && sb.permissionOf(r, o.actor.login) === 'admin';
  if (admin && !p?.enforceAdmins) return true;
  throw new HttpError(o.status, o.merge ? o.blockers.join(' ') : `Protected branch update failed for ${o.ref}. ${o.blockers.join(' ')}`);
}

/** Records an admin's override of protection (GitHub's audit log `protected_branch.policy_override`). */
export function recordBypass(r: RepoState, b: Omit<ProtectionBypass, 'createdAt'>): void {
  r.bypasses.push({ ...b, createdAt: iso() });
}
