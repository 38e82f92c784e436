/** `simple-user`, `integration` (an app) and `organization-simple` objects. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { GitHubSandbox } from '../github-sandbox.js';
import type { Account, AppData, Bases } from '../state.js';
import { iso, nodeId } from './common.js';

/** `simple-user`. */
export function userJson(b: Bases, a: Account): Record<string, unknown> {
  const u = `${b.api}/users/${a.login}`;
  return {
    login: a.login,
    id: a.id,
    node_id: nodeId(a.type === 'Organization' ? 'Organization' : a.type === 'Bot' ? 'Bot' : 'User', a.id),
    avatar_url: `${b.web}/avatars/u/${a.id}?v=4`,
    gravatar_id: '',
    url: u,
    html_url: a.type === 'Bot' ? `${b.web}/apps/${a.login.replace(/\[bot\]$/, '')}` : `${b.web}/${a.login}`,
    followers_url: `${u}/followers`,
    following_url: `${u}/following{/other_user}`,
    gists_url: `${u}/gists{/gist_id}`,
    starred_url: `${u}/starred{/owner}{/repo}`,
    subscriptions_url: `${u}/subscriptions`,
    organizations_url: `${u}/orgs`,
    repos_url: `${u}/repos`,
    events_url: `${u}/events{/privacy}`,
    received_events_url: `${u}/received_events`,
    type: a.type,
    user_view_type: 'public',
    site_admin: a.siteAdmin ?? false,
  };
}

let describedEvents: Set<string> | null = null;

/**
 * The events GitHub's webhook descriptions allow in an app's `events` list (the intersection of every
 * variant of the enum): events newer than the descriptions (e.g. `deployment_protection_rule`) are left out
 * of the app objects the sandbox serves, so that every payload validates.
 */
function appEventsGitHubDescribes(): Set<string> {
  if (describedEvents) return describedEvents;
  const file = createRequire(import.meta.url).resolve('@octokit/openapi-webhooks/generated/api.github.com.json');
  let all: Set<string> | null = null;
  const walk = (node: unknown): void => {
    if (!node || typeof node !== 'object') return;
    const o = node as { description?: unknown; items?: { enum?: unknown } };
    if (typeof o.description === 'string' && o.description.startsWith('The list of events for the GitHub app') && Array.isArray(o.items?.enum)) {
      const list = new Set((o.items.enum as unknown[]).filter((e): e is string => typeof e === 'string'));
      all = all === null ? list : new Set([...all].filter((e) => list.has(e)));
    }
    for (const v of Object.values(node)) walk(v);
  };
  walk(JSON.parse(readFileSync(file, 'utf8')) as unknown);
  describedEvents = all ?? new Set<string>();
  return describedEvents;
}

export function appJson(b: Bases, app: AppData): Record<string, unknown> {
  return {
    id: app.id,
    slug: app.slug,
    node_id: nodeId('Integration', app.id),
    client_id: app.clientId,
    owner: userJson(b, app.owner),
    name: app.name,
    description: `${app.name} (sandbox)`,
    external_url: `${b.web}/apps/${app.slug}`,
    html_url: `${b.web}/apps/${app.slug}`,
    created_at: iso(app.createdAt),
    updated_at: iso(app.createdAt),
    permissions: app.permissions,
    events: app.events.filter((e) => appEventsGitHubDescribes().has(e)),
  };
}

/** `organization-simple`, as webhooks carry it in `organization`. */
export function orgJson(b: Bases, o: Account): Record<string, unknown> {
  const u = `${b.api}/orgs/${o.login}`;
  return {
    login: o.login,
    id: o.id,
    node_id: nodeId('Organization', o.id),
    url: u,
    repos_url: `${u}/repos`,
    events_url: `${u}/events`,
    hooks_url: `${u}/hooks`,
    issues_url: `${u}/issues`,
    members_url: `${u}/members{/member}`,
    public_members_url: `${u}/public_members{/member}`,
    avatar_url: `${b.web}/avatars/u/${o.id}?v=4`,
    description: null,
  };
}

/** `installation` of the sandbox's app on an account. */
export function installationJson(sb: GitHubSandbox, inst: { id: number; account: Account; createdAt: string }): Record<string, unknown> {
  const b = sb.bases;
  return {
    id: inst.id,
    account: userJson(b, inst.account),
    repository_selection: 'all',
    access_tokens_url: `${b.api}/app/installations/${inst.id}/access_tokens`,
    repositories_url: `${b.api}/installation/repositories`,
    html_url: `${b.web}/organizations/${inst.account.login}/settings/installations/${inst.id}`,
    app_id: sb.app.id,
    client_id: sb.app.clientId,
    app_slug: sb.app.slug,
    target_id: inst.account.id,
    target_type: inst.account.type,
    permissions: sb.app.permissions,
    events: sb.app.events,
    created_at: inst.createdAt,
    updated_at: inst.createdAt,
    single_file_name: null,
    has_multiple_single_files: false,
    single_file_paths: [],
    suspended_by: null,
    suspended_at: null,
  };
}
