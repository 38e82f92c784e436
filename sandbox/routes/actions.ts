/** `actions` REST operations (docs.github.com/rest/actions): GitHub Actions: workflow dispatch (runs in the sandbox runner). */
import { repoApiUrl, repoHtmlUrl } from '../json/repos.js';
import { workflowRunJson } from '../json/runs.js';
import { workflowIdOf } from '../runner/dispatch.js';
import type { WorkflowRun } from '../runner/types.js';
import type { GitHubSandbox } from '../github-sandbox.js';
import type { RepoState } from '../state.js';
import { actorAccount, authed, paginate, repoOf } from './helpers.js';
import { HttpError, type RouteContext, type RouteResult, type RouteTable } from './route.js';

/** Runs of a repository (newest first), filtered as `GET .../actions/runs` filters them. */
async function listRuns(sb: GitHubSandbox, ctx: RouteContext, r: RepoState, of: (run: WorkflowRun) => boolean): Promise<RouteResult> {
  const q = ctx.query;
  const full = `${r.owner.login}/${r.name}`;
  const list = sb.runner
    .allRuns()
    .filter((x) => x.repo === full && of(x))
    .filter((x) => (!q.event || x.event === q.event) && (!q.branch || x.ref === `refs/heads/${q.branch}`) && (!q.head_sha || x.headSha === q.head_sha) && (!q.actor || x.actor === q.actor))
    .filter((x) => !q.status || x.status === q.status || x.conclusion === q.status)
    .sort((a, b) => b.id - a.id);
  const p = paginate(ctx, list);
  const runs = [];
  for (const run of p.items) runs.push(await workflowRunJson(sb, r, run));
  return { status: 200, body: { total_count: list.length, workflow_runs: runs }, headers: p.headers };
}

export const routes: RouteTable = {
  'actions/create-workflow-dispatch': async (sb, ctx) => {
    const r = repoOf(sb, ctx, true);
    const inputs = (ctx.body.inputs ?? {}) as Record<string, unknown>;
    const run = await sb.runner.dispatch(r, ctx.params.workflow_id ?? '', String(ctx.body.ref), inputs, actorAccount(sb, ctx));
    if (ctx.body.return_run_details === true) {
      return { status: 200, body: { workflow_run_id: run.id, run_url: `${repoApiUrl(sb.bases, r)}/actions/runs/${run.id}`, html_url: `${repoHtmlUrl(sb.bases, r)}/actions/runs/${run.id}` } };
    }
    return { status: 204 };
  },
  'actions/get-workflow-run': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const run = sb.runner.allRuns().find((x) => x.id === Number(ctx.params.run_id) && x.repo === `${r.owner.login}/${r.name}`);
    if (!run) throw new HttpError(404, 'Not Found');
    return { status: 200, body: await workflowRunJson(sb, r, run) };
  },
  'actions/cancel-workflow-run': async (sb, ctx) => {
    const r = repoOf(sb, ctx, true);
    const run = sb.runner.runs.find((x) => x.id === Number(ctx.params.run_id) && x.repo === `${r.owner.login}/${r.name}`);
    if (!run) throw new HttpError(404, 'Not Found');
    if (!sb.runner.cancel(run)) throw new HttpError(409, 'Cannot cancel a workflow run that is completed.');
    return { status: 202, body: {} };
  },
  'actions/list-workflow-runs-for-repo': async (sb, ctx) => listRuns(sb, ctx, repoOf(sb, ctx), () => true),
  'actions/list-workflow-runs': async (sb, ctx) => {
    const id = ctx.params.workflow_id ?? '';
    return listRuns(sb, ctx, repoOf(sb, ctx), (run) => (/^\d+$/.test(id) ? workflowIdOf(run.workflowPath) === Number(id) : run.workflowPath === `.github/workflows/${id}`));
  },
  'actions/review-custom-gates-for-run': async (sb, ctx) => {
    const r = repoOf(sb, ctx, true);
    const a = authed(ctx);
    if (a.kind !== 'installation') throw new HttpError(403, 'Resource not accessible by integration');
    const name = String(ctx.body.environment_name ?? '');
    const env = r.environments.get(name);
    if (!env || !env.protectionRules.some((p) => p.enabled && p.app.id === a.app.id)) throw new HttpError(403, 'GitHub Apps can only review their own custom deployment protection rules');
    const state = ctx.body.state === 'approved' || ctx.body.state === 'rejected' ? ctx.body.state : null;
    if (!sb.runner.review(Number(ctx.params.run_id), name, a.app.slug, state, typeof ctx.body.comment === 'string' ? ctx.body.comment : '')) {
      throw new HttpError(422, `No pending deployment protection rule for ${name} in run ${ctx.params.run_id}`);
    }
    return { status: 204 };
  },
};
