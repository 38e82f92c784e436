/** `actions` REST operations (docs.github.com/rest/actions): GitHub Actions: workflow dispatch (runs in the sandbox runner). */
import { repoApiUrl, repoHtmlUrl } from '../json/repos.js';
import { actorAccount, repoOf } from './helpers.js';
import type { RouteTable } from './route.js';

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
};
