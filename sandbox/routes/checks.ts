/** `checks` REST operations (docs.github.com/rest/checks): Check runs (only an app may create one; only the app that created one may update it). */
import { repoOf, paginate, resolveRef } from './helpers.js';
import { HttpError, type RouteTable } from './route.js';

export const routes: RouteTable = {
  'checks/list-for-ref': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const sha = await resolveRef(r, ctx.params.ref ?? '');
    let runs = [...r.checkRuns.values()].filter((c) => c.headSha === sha).sort((a, b) => b.id - a.id);
    if (ctx.query.check_name) runs = runs.filter((c) => c.name === ctx.query.check_name);
    if (ctx.query.status) runs = runs.filter((c) => c.status === ctx.query.status);
    if (ctx.query.app_id) runs = runs.filter((c) => String(c.app.id) === ctx.query.app_id);
    if ((ctx.query.filter ?? 'latest') === 'latest') {
      const seen = new Set<string>();
      runs = runs.filter((c) => {
        const k = `${c.app.id}/${c.name}`;
        if (seen.has(k)) return false;
        seen.add(k);
        return true;
      });
    }
    const p = paginate(ctx, runs);
    return { status: 200, body: { total_count: runs.length, check_runs: await Promise.all(p.items.map((c) => sb.checkRunJson(r, c))) }, headers: p.headers };
  },
  'checks/get': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const run = r.checkRuns.get(Number(ctx.params.check_run_id));
    if (!run) throw new HttpError(404, 'Not Found');
    return { status: 200, body: await sb.checkRunJson(r, run) };
  },
  'checks/list-annotations': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    const run = r.checkRuns.get(Number(ctx.params.check_run_id));
    if (!run) throw new HttpError(404, 'Not Found');
    const p = paginate(ctx, run.output.annotations);
    const blob = (path: string): string => `${sb.url}/${r.owner.login}/${r.name}/blob/${run.headSha}/${path}`;
    return {
      status: 200,
      headers: p.headers,
      body: p.items.map((a) => ({
        path: a.path,
        blob_href: blob(a.path),
        start_line: a.startLine,
        end_line: a.endLine,
        start_column: a.startColumn,
        end_column: a.endColumn,
        annotation_level: a.level,
        title: a.title,
        message: a.message,
        raw_details: a.rawDetails,
      })),
    };
  },
  'checks/create': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    if (ctx.actor.kind !== 'installation') throw new HttpError(403, 'You must authenticate via a GitHub App.');
    const run = await sb.createCheckRun(r, ctx.actor.app, ctx.body);
    return { status: 201, body: await sb.checkRunJson(r, run) };
  },
  'checks/update': async (sb, ctx) => {
    const r = repoOf(sb, ctx);
    if (ctx.actor.kind !== 'installation') throw new HttpError(403, 'You must authenticate via a GitHub App.');
    const run = r.checkRuns.get(Number(ctx.params.check_run_id));
    if (!run) throw new HttpError(404, 'Not Found');
    if (run.app.id !== ctx.actor.app.id) throw new HttpError(403, 'Invalid app_id `' + ctx.actor.app.id + '` - check run can only be modified by the GitHub App that created it.');
    const wasCompleted = run.status === 'completed';
    sb.applyCheckRunInput(run, ctx.body);
    if (!wasCompleted && run.status === 'completed') await sb.checkRunCompleted(r, run);
    return { status: 200, body: await sb.checkRunJson(r, run) };
  },
};
