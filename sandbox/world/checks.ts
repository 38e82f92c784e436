/** Check runs and check suites: creation by an app, updates, completion (and the suite's `completed` event). */
import type { GitHubSandbox } from '../github-sandbox.js';
import { iso } from '../json/common.js';
import { HttpError } from '../routes/route.js';
import type { AppData, CheckRunState, RepoState } from '../state.js';

/** Adds a check run as a CI app would (emits `check_run` and, when a suite completes, `check_suite`). */
export async function addCheckRun(
  sb: GitHubSandbox,
  repo: string,
  c: { headSha: string; name: string; status?: CheckRunState['status']; conclusion?: string | null; app?: 'ci' | 'stagegate'; summary?: string },
): Promise<CheckRunState> {
  const r = sb.repo(repo);
  const app = c.app === 'stagegate' ? sb.app : sb.ciApp;
  const input: Record<string, unknown> = { name: c.name, head_sha: c.headSha, status: c.status ?? (c.conclusion ? 'completed' : 'queued') };
  if (c.conclusion) input.conclusion = c.conclusion;
  if (c.summary) input.output = { title: c.name, summary: c.summary };
  return sb.createCheckRun(r, app, input);
}

export async function createCheckRun(sb: GitHubSandbox, r: RepoState, app: AppData, b: Record<string, unknown>): Promise<CheckRunState> {
  const headSha = String(b.head_sha);
  const resolved = await r.git.resolve(headSha);
  if (!resolved || resolved !== headSha) throw new HttpError(422, 'Validation Failed', { errors: [{ resource: 'CheckRun', code: 'invalid', field: 'head_sha' }] });
  let suite = [...r.checkSuites.values()].find((s) => s.app.id === app.id && s.headSha === headSha);
  if (!suite) {
    const branches = await r.git.listBranches();
    suite = { id: sb.nextId() + 9_000_000, headSha, headBranch: branches.find((x) => x.sha === headSha)?.name ?? null, app, createdAt: iso(), updatedAt: iso(), completedSent: false };
    r.checkSuites.set(suite.id, suite);
  }
  suite.completedSent = false;
  const now = iso();
  const run: CheckRunState = {
    id: sb.nextId() + 7_000_000,
    suiteId: suite.id,
    headSha,
    name: String(b.name),
    status: 'queued',
    conclusion: null,
    startedAt: typeof b.started_at === 'string' ? iso(b.started_at) : now,
    completedAt: null,
    externalId: typeof b.external_id === 'string' ? b.external_id : null,
    detailsUrl: typeof b.details_url === 'string' ? b.details_url : null,
    output: { title: null, summary: null, text: null, annotationsCount: 0 },
    app,
  };
  sb.applyCheckRunInput(run, b);
  r.checkRuns.set(run.id, run);
  await sb.emit(r, 'check_run', { action: 'created', check_run: await sb.checkRunJson(r, run, true) }, sb.account(`${app.slug}[bot]`));
  if (run.status === 'completed') await sb.checkRunCompleted(r, run);
  return run;
}

export function applyCheckRunInput(sb: GitHubSandbox, run: CheckRunState, b: Record<string, unknown>): void {
  if (typeof b.name === 'string') run.name = b.name;
  if (typeof b.details_url === 'string') run.detailsUrl = b.details_url;
  if (typeof b.external_id === 'string') run.externalId = b.external_id;
  if (typeof b.status === 'string') run.status = b.status as CheckRunState['status'];
  if (typeof b.conclusion === 'string') {
    run.conclusion = b.conclusion;
    run.status = 'completed';
  }
  if (run.status === 'completed') {
    if (!run.conclusion) throw new HttpError(422, 'Invalid request.\n\n"conclusion" wasn\'t supplied.');
    run.completedAt = typeof b.completed_at === 'string' ? iso(b.completed_at) : (run.completedAt ?? iso());
  }
  const out = b.output as { title?: string; summary?: string; text?: string; annotations?: unknown[] } | undefined;
  if (out) {
    if (out.title !== undefined) run.output.title = out.title;
    if (out.summary !== undefined) run.output.summary = out.summary;
    if (out.text !== undefined) run.output.text = out.text;
    if (Array.isArray(out.annotations)) run.output.annotationsCount += out.annotations.length;
  }
}

export async function checkRunCompleted(sb: GitHubSandbox, r: RepoState, run: CheckRunState): Promise<void> {
  const bot = sb.account(`${run.app.slug}[bot]`);
  await sb.emit(r, 'check_run', { action: 'completed', check_run: await sb.checkRunJson(r, run, true) }, bot);
  const suite = r.checkSuites.get(run.suiteId);
  if (!suite) return;
  const runs = [...r.checkRuns.values()].filter((x) => x.suiteId === suite.id);
  if (runs.every((x) => x.status === 'completed') && !suite.completedSent) {
    suite.completedSent = true;
    suite.updatedAt = iso();
    await sb.emit(r, 'check_suite', { action: 'completed', check_suite: await sb.checkSuiteJson(r, suite, true) }, bot);
  }
}
