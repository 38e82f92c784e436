/** Teams of organizations and their memberships. */
import type { GitHubSandbox } from '../github-sandbox.js';
import type { TeamState } from '../state.js';

/** Creates a team; members default to active `member`s. */
export function createTeam(
  sb: GitHubSandbox,
  org: string,
  t: { slug: string; name?: string; members?: Record<string, { role?: 'member' | 'maintainer'; state?: 'active' | 'pending' }> | string[] },
): TeamState {
  const o = sb.account(org);
  if (o.type !== 'Organization') throw new Error(`${org} is not an organization`);
  const team: TeamState = { id: sb.nextId(), org: o, slug: t.slug, name: t.name ?? t.slug, members: new Map() };
  type M = { role?: 'member' | 'maintainer'; state?: 'active' | 'pending' };
  const members: Record<string, M> = Array.isArray(t.members) ? Object.fromEntries(t.members.map((m): [string, M] => [m, {}])) : (t.members ?? {});
  for (const [login, m] of Object.entries(members)) {
    sb.account(login);
    team.members.set(login.toLowerCase(), { role: m.role ?? 'member', state: m.state ?? 'active' });
  }
  sb.teams.set(`${o.login.toLowerCase()}/${t.slug.toLowerCase()}`, team);
  return team;
}

export function setTeamMembership(sb: GitHubSandbox, org: string, slug: string, login: string, m: { role?: 'member' | 'maintainer'; state?: 'active' | 'pending' } | null): void {
  const team = sb.teams.get(`${org.toLowerCase()}/${slug.toLowerCase()}`);
  if (!team) throw new Error(`no team ${org}/${slug}`);
  if (m === null) team.members.delete(login.toLowerCase());
  else team.members.set(login.toLowerCase(), { role: m.role ?? 'member', state: m.state ?? 'active' });
}
