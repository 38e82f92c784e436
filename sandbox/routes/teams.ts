/** `teams` REST operations (docs.github.com/rest/teams): membership as GitHub reports it ("Team members will include the members of child teams"). */
import { userJson } from '../json/users.js';
import { membershipOf, withDescendants } from '../world/teams.js';
import { authed, paginate } from './helpers.js';
import { HttpError, type RouteTable } from './route.js';

export const routes: RouteTable = {
  'teams/get-membership-for-user-in-org': async (sb, ctx) => {
    authed(ctx);
    const team = sb.teams.get(`${(ctx.params.org ?? '').toLowerCase()}/${(ctx.params.team_slug ?? '').toLowerCase()}`);
    const m = team ? membershipOf(sb, team.org.login, team.slug, ctx.params.username ?? '') : null;
    if (!team || !m) throw new HttpError(404, 'Not Found');
    return { status: 200, body: { url: `${sb.bases.api}/organizations/${team.org.id}/team/${team.id}/memberships/${ctx.params.username}`, role: m.role, state: m.state } };
  },
  'teams/list-members-in-org': async (sb, ctx) => {
    authed(ctx);
    const team = sb.teams.get(`${(ctx.params.org ?? '').toLowerCase()}/${(ctx.params.team_slug ?? '').toLowerCase()}`);
    if (!team) throw new HttpError(404, 'Not Found');
    const logins = [...new Set(withDescendants(sb, team).flatMap((t) => [...t.members.entries()].filter(([, m]) => m.state === 'active').map(([login]) => login)))];
    const role = ctx.query.role ?? 'all';
    const members = logins
      .map((login) => ({ account: sb.account(login), m: membershipOf(sb, team.org.login, team.slug, login) }))
      .filter((x) => x.m && (role === 'all' || x.m.role === role))
      .sort((a, b) => a.account.id - b.account.id);
    const p = paginate(ctx, members);
    return { status: 200, body: p.items.map((x) => ({ ...userJson(sb.bases, x.account), role: x.m?.role, inherited: x.m?.inherited })), headers: p.headers };
  },
};
