/** `deployments` REST operations (docs.github.com/rest/deployments): deployments and deployment statuses. */
import { createDeployment, createDeploymentStatus } from '../world/deployments.js';
import type { GitHubSandbox } from '../github-sandbox.js';
import { nodeId } from '../json/common.js';
import { repoApiUrl, repoHtmlUrl } from '../json/repos.js';
import type { EnvironmentState, RepoState } from '../state.js';
import { actorAccount, paginate, repoOf, viaApp } from './helpers.js';
import { HttpError, type RouteTable } from './route.js';

function environmentJson(sb: GitHubSandbox, r: RepoState, e: EnvironmentState): Record<string, unknown> {
  return {
    id: e.id,
    node_id: nodeId('Environment', e.id),
    name: e.name,
    url: `${repoApiUrl(sb.bases, r)}/environments/${encodeURIComponent(e.name)}`,
    html_url: `${repoHtmlUrl(sb.bases, r)}/deployments/activity_log?environments_filter=${encodeURIComponent(e.name)}`,
    created_at: e.createdAt,
    updated_at: e.updatedAt,
    protection_rules: [],
    deployment_branch_policy: e.branches === null ? null : { protected_branches: false, custom_branch_policies: true },
  };
}

function ruleJson(sb: GitHubSandbox, rule: EnvironmentState['protectionRules'][number]): Record<string, unknown> {
  return {
    id: rule.id,
    node_id: nodeId('DeploymentProtectionRule', rule.id),
    enabled: rule.enabled,
    app: { id: rule.app.id, slug: rule.app.slug, integration_url: `${sb.bases.api}/apps/${rule.app.slug}`, node_id: nodeId('Integration', rule.app.id) },
  };
}

export const routes: RouteTable = {
  'repos/get-all-environments': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const list = [...r.environments.values()];
    const p = paginate(ctx, list);
    return { status: 200, body: { total_count: list.length, environments: p.items.map((e) => environmentJson(sb, r, e)) }, headers: p.headers };
  },
  'repos/get-environment': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const e = r.environments.get(ctx.params.environment_name ?? '');
    if (!e) throw new HttpError(404, 'Not Found');
    return { status: 200, body: environmentJson(sb, r, e) };
  },
  'repos/get-all-deployment-protection-rules': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const e = r.environments.get(ctx.params.environment_name ?? '');
    if (!e) throw new HttpError(404, 'Not Found');
    const rules = e.protectionRules.filter((p) => p.enabled);
    return { status: 200, body: { total_count: rules.length, custom_deployment_protection_rules: rules.map((p) => ruleJson(sb, p)) } };
  },
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
