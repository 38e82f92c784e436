/** `deployments` REST operations (docs.github.com/rest/deployments): deployments and deployment statuses. */
import { createDeployment, createDeploymentStatus } from '../world/deployments.js';
import { actorAccount, paginate, repoOf, viaApp } from './helpers.js';
import { HttpError, type RouteTable } from './route.js';

export const routes: RouteTable = {
  'repos/list-deployments': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    let list = [...r.deployments.values()].sort((a, b) => b.id - a.id);
    const q = ctx.query;
    if (q.sha) list = list.filter((d) => d.sha === q.sha);
    if (q.ref) list = list.filter((d) => d.ref === q.ref);
    if (q.task) list = list.filter((d) => d.task === q.task);
    if (q.environment) list = list.filter((d) => d.environment === q.environment);
    const p = paginate(ctx, list);
    return { status: 200, body: p.items.map((d) => sb.deploymentJson(r, d)), headers: p.headers };
  },
  'repos/get-deployment': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const d = r.deployments.get(Number(ctx.params.deployment_id));
    if (!d) throw new HttpError(404, 'Not Found');
    return { status: 200, body: sb.deploymentJson(r, d) };
  },
  'repos/create-deployment': async (sb, ctx) => {
    const r = repoOf(sb, ctx, true);
    const d = await createDeployment(sb, r, actorAccount(sb, ctx), viaApp(sb, ctx), ctx.body);
    return { status: 201, body: sb.deploymentJson(r, d) };
  },
  'repos/list-deployment-statuses': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const d = r.deployments.get(Number(ctx.params.deployment_id));
    if (!d) throw new HttpError(404, 'Not Found');
    const p = paginate(ctx, [...d.statuses].reverse());
    return { status: 200, body: p.items.map((s) => sb.deploymentStatusJson(r, d, s)), headers: p.headers };
  },
  'repos/create-deployment-status': async (sb, ctx) => {
    const r = repoOf(sb, ctx, true);
    const d = r.deployments.get(Number(ctx.params.deployment_id));
    if (!d) throw new HttpError(404, 'Not Found');
    const status = await createDeploymentStatus(sb, r, d, actorAccount(sb, ctx), viaApp(sb, ctx), ctx.body);
    return { status: 201, body: sb.deploymentStatusJson(r, d, status) };
  },
};
