/** `branch-protection` (GET), `protected-branch` (PUT's answer), `status-check-policy` and the branch's protection summary. */
import type { GitHubSandbox } from '../github-sandbox.js';
import type { BranchProtectionState, RepoState } from '../state.js';
import { nodeId } from './common.js';
import { repoApiUrl } from './repos.js';
import { appJson, userJson } from './users.js';

function base(sb: GitHubSandbox, r: RepoState, branch: string): string {
  return `${repoApiUrl(sb.bases, r)}/branches/${encodeURIComponent(branch)}/protection`;
}

/** `status-check-policy`: `checks` with the app each must come from (null: any source), `contexts` their names. */
export function statusCheckPolicyJson(sb: GitHubSandbox, r: RepoState, branch: string, p: BranchProtectionState): Record<string, unknown> {
  const url = `${base(sb, r, branch)}/required_status_checks`;
  const checks = p.requiredStatusChecks?.checks ?? [];
  return {
    url,
    strict: p.requiredStatusChecks?.strict ?? false,
    contexts: checks.map((c) => c.context),
    checks: checks.map((c) => ({ context: c.context, app_id: c.appId })),
    contexts_url: `${url}/contexts`,
  };
}

function restrictionsJson(sb: GitHubSandbox, r: RepoState, branch: string, p: BranchProtectionState): Record<string, unknown> | undefined {
  if (!p.restrictions) return undefined;
  const url = `${base(sb, r, branch)}/restrictions`;
  const apps = [sb.app, sb.actionsApp, sb.ciApp].filter((a) => p.restrictions?.apps.includes(a.slug));
  const teams = p.restrictions.teams.map((slug) => sb.teams.get(`${r.owner.login.toLowerCase()}/${slug.toLowerCase()}`)).filter((t) => t !== undefined);
  return {
    url,
    users_url: `${url}/users`,
    teams_url: `${url}/teams`,
    apps_url: `${url}/apps`,
    users: p.restrictions.users.map((u) => userJson(sb.bases, sb.account(u))),
    teams: teams.map((t) => ({
      id: t.id,
      node_id: nodeId('Team', t.id),
      url: `${sb.bases.api}/organizations/${t.org.id}/team/${t.id}`,
      html_url: `${sb.bases.web}/orgs/${t.org.login}/teams/${t.slug}`,
      name: t.name,
      slug: t.slug,
      description: null,
      privacy: 'closed',
      permission: 'pull',
      members_url: `${sb.bases.api}/organizations/${t.org.id}/team/${t.id}/members{/member}`,
      repositories_url: `${sb.bases.api}/organizations/${t.org.id}/team/${t.id}/repos`,
      parent: null,
    })),
    apps: apps.map((a) => appJson(sb.bases, a)),
  };
}

/** The rule as `GET .../protection` (`branch-protection`) or, with `put`, as the PUT answers it (`protected-branch`). */
export function protectionJson(sb: GitHubSandbox, r: RepoState, branch: string, p: BranchProtectionState, put = false): Record<string, unknown> {
  const url = base(sb, r, branch);
  const on = (enabled: boolean): { enabled: boolean } => ({ enabled });
  const out: Record<string, unknown> = {
    url,
    ...(put ? {} : { enabled: true, name: branch, protection_url: url }),
    enforce_admins: { url: `${url}/enforce_admins`, enabled: p.enforceAdmins },
    required_signatures: { url: `${url}/required_signatures`, enabled: false },
    required_linear_history: on(p.requiredLinearHistory),
    allow_force_pushes: on(p.allowForcePushes),
    allow_deletions: on(p.allowDeletions),
    block_creations: on(p.blockCreations),
    required_conversation_resolution: on(p.requiredConversationResolution),
    lock_branch: on(p.lockBranch),
    allow_fork_syncing: on(p.allowForkSyncing),
  };
  if (p.requiredStatusChecks) out.required_status_checks = statusCheckPolicyJson(sb, r, branch, p);
  const rv = p.requiredPullRequestReviews;
  if (rv)
    out.required_pull_request_reviews = {
      url: `${url}/required_pull_request_reviews`,
      dismiss_stale_reviews: rv.dismissStaleReviews,
      require_code_owner_reviews: rv.requireCodeOwnerReviews,
      required_approving_review_count: rv.requiredApprovingReviewCount,
      require_last_push_approval: rv.requireLastPushApproval,
    };
  const res = restrictionsJson(sb, r, branch, p);
  if (res) out.restrictions = res;
  return out;
}

/** What `GET .../branches/{branch}` says of protection. */
export function branchProtectionSummary(sb: GitHubSandbox, r: RepoState, branch: string): { protected: boolean; protection: Record<string, unknown>; protection_url: string } {
  const p = r.protections.get(branch);
  const checks = p?.requiredStatusChecks?.checks ?? [];
  return {
    protected: p !== undefined,
    protection: {
      enabled: p !== undefined,
      required_status_checks: {
        enforcement_level: p?.requiredStatusChecks ? (p.enforceAdmins ? 'everyone' : 'non_admins') : 'off',
        contexts: checks.map((c) => c.context),
        checks: checks.map((c) => ({ context: c.context, app_id: c.appId })),
      },
    },
    protection_url: base(sb, r, branch),
  };
}
