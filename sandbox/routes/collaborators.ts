/** `collaborators` REST operations (docs.github.com/rest/collaborators): Collaborators: the permission GitHub reports. */
import { userJson } from '../json/users.js';
import { repoOf } from './helpers.js';
import { HttpError, type RouteTable } from './route.js';

export const routes: RouteTable = {
  'repos/get-collaborator-permission-level': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const u = sb.findAccount(ctx.params.username ?? '');
    if (!u || u.type === 'Organization') throw new HttpError(404, 'Not Found');
    const perm = sb.permissionOf(r, u.login);
    const roleName = perm === 'none' ? 'none' : perm === 'read' ? 'read' : perm;
    const user = {
      ...userJson(sb.bases, u),
      permissions: { admin: perm === 'admin', maintain: perm === 'admin', push: perm === 'admin' || perm === 'write', triage: perm !== 'none' && perm !== 'read', pull: perm !== 'none' },
      role_name: roleName,
    };
    return { status: 200, body: { permission: perm, role_name: roleName, user } };
  },
};
