/** `users` REST operations (docs.github.com/rest/users): the authenticated user. */
import { userJson } from '../json/users.js';
import { authed } from './helpers.js';
import { HttpError, type RouteTable } from './route.js';

export const routes: RouteTable = {
  'users/get-authenticated': async (sb, ctx) => {
    const a = authed(ctx);
    // An installation token (a workflow's GITHUB_TOKEN among them) has no user: GitHub answers 403.
    if (a.kind !== 'user') throw new HttpError(403, 'Resource not accessible by integration');
    const u = a.account;
    const created = '2020-01-01T00:00:00Z';
    return {
      status: 200,
      body: {
        ...userJson(sb.bases, u),
        name: u.name ?? null,
        company: null,
        blog: null,
        location: null,
        email: u.emails[0] ?? null,
        hireable: null,
        bio: null,
        public_repos: 0,
        public_gists: 0,
        followers: 0,
        following: 0,
        created_at: created,
        updated_at: created,
      },
    };
  },
};
