/** `releases` REST operations (docs.github.com/rest/releases): Releases (creating one creates its tag). */
import { createRelease } from '../world/releases.js';
import { actorAccount, repoOf, paginate } from './helpers.js';
import { HttpError, type RouteTable } from './route.js';

export const routes: RouteTable = {
  'repos/list-releases': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const list = [...r.releases.values()].sort((a, b) => b.id - a.id);
    const p = paginate(ctx, list);
    return { status: 200, body: p.items.map((x) => sb.releaseJson(r, x)), headers: p.headers };
  },
  'repos/get-latest-release': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const rel = [...r.releases.values()].filter((x) => !x.draft && !x.prerelease).sort((a, b) => b.id - a.id)[0];
    if (!rel) throw new HttpError(404, 'Not Found');
    return { status: 200, body: sb.releaseJson(r, rel) };
  },
  'repos/get-release-by-tag': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const rel = [...r.releases.values()].find((x) => x.tagName === ctx.params.tag);
    if (!rel) throw new HttpError(404, 'Not Found');
    return { status: 200, body: sb.releaseJson(r, rel) };
  },
  'repos/create-release': async (sb, ctx) => {
    const r = repoOf(sb, ctx, true);
    const rel = await createRelease(sb, r, actorAccount(sb, ctx), ctx.body);
    return { status: 201, body: sb.releaseJson(r, rel) };
  },
};
