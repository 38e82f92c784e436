/** Teams of organizations, nested teams, and membership as GitHub reports it (a child team's members are members of its parents). */
import type { GitHubSandbox } from '../github-sandbox.js';
import type { TeamState } from '../state.js';

/** Creates a team (a child of `parent`, a team slug, when given); members default to active `member`s. */
export function createTeam(
  sb: GitHubSandbox,
  org: string,
  t: { slug: string; name?: string; parent?: string; members?: Record<string, { role?: 'member' | 'maintainer'; state?: 'active' | 'pending' }> | string[] },
): TeamState {
  const o = sb.account(org);
  if (o.type !== 'Organization') throw new Error(`${org} is not an organization`);
  const parent = t.parent === undefined ? null : (sb.teams.get(`${o.login.toLowerCase()}/${t.parent.toLowerCase()}`) ?? null);
  if (t.parent !== undefined && !parent) throw new Error(`no team ${org}/${t.parent} (the parent of ${t.slug})`);
  const team: TeamState = { id: sb.nextId(), org: o, slug: t.slug, name: t.name ?? t.slug, parent, members: new Map() };
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

/** A team and every team below it (children, their children, ...). */
export function withDescendants(sb: GitHubSandbox, team: TeamState): TeamState[] {
  const out = [team];
  for (let i = 0; i < out.length; i++) for (const t of sb.teams.values()) if (t.parent === out[i] && !out.includes(t)) out.push(t);
  return out;
}

/**
 * `login`'s membership of `org/slug` as GitHub's team membership API reports it: the direct membership, else one
 * inherited from a child team (active preferred over pending; the role reported is `member`); null when neither.
 */
export function membershipOf(sb: GitHubSandbox, org: string, slug: string, login: string): { role: 'member' | 'maintainer'; state: 'active' | 'pending'; inherited: boolean } | null {
  const team = sb.teams.get(`${org.toLowerCase()}/${slug.toLowerCase()}`);
  if (!team) return null;
  const direct = team.members.get(login.toLowerCase());
  if (direct) return { ...direct, inherited: false };
  const inherited = withDescendants(sb, team)
    .slice(1)
    .map((t) => t.members.get(login.toLowerCase()))
    .filter((m) => m !== undefined);
  if (inherited.length === 0) return null;
  return { role: 'member', state: inherited.some((m) => m.state === 'active') ? 'active' : 'pending', inherited: true };
}

/** Whether `login` is an active member of `org/slug` or of a team below it. */
export function isTeamMember(sb: GitHubSandbox, org: string, slug: string, login: string): boolean {
  return membershipOf(sb, org, slug, login)?.state === 'active';
}
