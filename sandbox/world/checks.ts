/** Check runs and check suites: creation by an app, updates, completion (and the suite's `completed` event). */
import type { GitHubSandbox } from '../github-sandbox.js';
import { iso } from '../json/common.js';
import { HttpError } from '../routes/route.js';
import type { AppData, CheckAnnotation, CheckRunState, RepoState } from '../state.js';

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
    output: { title: null, summary: null, text: null, annotationsCount: 0, annotations: [] },
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
    if (Array.isArray(out.annotations)) {
      const added = out.annotations.map(annotationOf);
      run.output.annotations.push(...added);
      run.output.annotationsCount += added.length;
    }
  }
}

/** Validates one annotation as GitHub does (required fields, levels, columns only on one line; 50 per request). */
function annotationOf(a: unknown, i: number, all: unknown[]): CheckAnnotation {
  if (all.length > 50) throw new HttpError(422, 'Only 50 annotations are allowed per request.');
  const o = (a ?? {}) as Record<string, unknown>;
  const bad = (field: string): never => {
    throw new HttpError(422, 'Validation Failed', { errors: [{ resource: 'CheckRun', code: 'invalid', field: `output.annotations[${i}].${field}` }] });
  };
  if (typeof o.path !== 'string' || o.path === '') bad('path');
  if (!Number.isInteger(o.start_line) || (o.start_line as number) < 1) bad('start_line');
  if (!Number.isInteger(o.end_line) || (o.end_line as number) < (o.start_line as number)) bad('end_line');
  if (o.annotation_level !== 'notice' && o.annotation_level !== 'warning' && o.annotation_level !== 'failure') bad('annotation_level');
  if (typeof o.message !== 'string' || o.message === '') bad('message');
  const col = (k: string): number | null => (o[k] === undefined ? null : Number.isInteger(o[k]) ? (o[k] as number) : bad(k));
  const startColumn = col('start_column');
  const endColumn = col('end_column');
  if ((startColumn !== null || endColumn !== null) && o.start_line !== o.end_line) bad('start_column');
  return {
    path: o.path as string,
    startLine: o.start_line as number,
    endLine: o.end_line as number,
    startColumn,
    endColumn,
    level: o.annotation_level as CheckAnnotation['level'],
    title: typeof o.title === 'string' ? o.title : null,
    message: o.message as string,
    rawDetails: typeof o.raw_details === 'string' ? o.raw_details : null,
  };
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
