/** `teams` REST operations (docs.github.com/rest/teams): Teams: membership as GitHub reports it. */
import { authed } from './helpers.js';
import { HttpError, type RouteTable } from './route.js';

export const routes: RouteTable = {
  'teams/get-membership-for-user-in-org': async (sb, ctx) => {
    authed(ctx);
    const team = sb.teams.get(`${(ctx.params.org ?? '').toLowerCase()}/${(ctx.params.team_slug ?? '').toLowerCase()}`);
    const m = team?.members.get((ctx.params.username ?? '').toLowerCase());
    if (!team || !m) throw new HttpError(404, 'Not Found');
    return { status: 200, body: { url: `${sb.bases.api}/organizations/${team.org.id}/team/${team.id}/memberships/${ctx.params.username}`, role: m.role, state: m.state } };
  },
};
