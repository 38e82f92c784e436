/** `team` / `team-simple` (review requests, webhooks). */
import type { Bases, TeamState } from '../state.js';
import { nodeId } from './common.js';

export function teamJson(b: Bases, t: TeamState, withParent = true): Record<string, unknown> {
  const url = `${b.api}/organizations/${t.org.id}/team/${t.id}`;
  return {
    id: t.id,
    node_id: nodeId('Team', t.id),
    url,
    html_url: `${b.web}/orgs/${t.org.login}/teams/${t.slug}`,
    name: t.name,
    slug: t.slug,
    description: null,
    privacy: 'closed',
    notification_setting: 'notifications_enabled',
    permission: 'pull',
    members_url: `${url}/members{/member}`,
    repositories_url: `${url}/repos`,
    type: 'organization',
    ...(withParent ? { parent: t.parent ? teamJson(b, t.parent, false) : null } : {}),
  };
}
