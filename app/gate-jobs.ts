import { loadConfig } from '../src/config/load.js';
import { rulesAffectedBy } from '../src/gate/evaluate.js';
import type { GateEvent } from '../src/gate/types.js';
import { githubConfigSource } from '../src/github/config-source.js';
import { autoMerge, type AutoMergeOutcome } from './auto-merge.js';
import { revokeUnevaluated } from './check-writes.js';
import type { AppDeps } from './deps.js';
import { requestDuty, type DutyOutcome } from './duty.js';
import { runGate, type GateRunInput, type GateRunOutcome } from './gate-runner.js';
import type { Job, JobContext } from './jobs.js';

/**
 * One pull request's evaluation and what follows a green one (continuous promotion: ask the team on
 * duty, then merge a self-merging stage's green promotion). Fail closed: when it cannot complete,
 * a green check on the head is replaced by a failure, and the error is rethrown.
 */
export async function evaluateOne(
  ctx: Omit<JobContext, 'gate' | 'serial'>,
  job: Job,
  pullNumber: number,
  event: GateEvent,
  headSha: string | null,
  extra: Partial<GateRunInput> = {},
): Promise<GateRunOutcome> {
  const { deps, client } = ctx;
  const { owner, repo, defaultBranch } = job.repo;
  try {
    const result = await runGate(deps, { client, owner, repo, pullNumber, defaultBranch, event, actor: job.actor, ...extra });
    ctx.report({ event: job.event, outcome: 'gate', pullRequest: pullNumber, result });
    if (result.kind === 'evaluated') {
      const where = { owner, repo, pullNumber, baseSha: result.pr.baseSha, headSha: result.pr.headSha, author: result.pr.author };
      const duty = await requestDuty(deps, client, where, result.match).catch((err: unknown): DutyOutcome => ({ kind: 'failed', team: '?', error: (err as Error).message }));
      const merged = await autoMerge(deps, client, where, { ...result.match, result: result.result }).catch((err: unknown): AutoMergeOutcome => ({ kind: 'failed', why: (err as Error).message }));
      ctx.report({ event: job.event, outcome: 'continuous', pullRequest: pullNumber, duty, autoMerge: merged });
    }
    return result;
  } catch (err) {
    if (headSha) await revokeUnevaluated(deps, client, { owner, repo, headSha }, err as Error);
    throw err;
  }
}

/** When a result may change without any event (soak, window, lock expiry): the time to evaluate again, or null. */
export function nextEvaluationAt(deps: Pick<AppDeps, 'now'>, result: GateRunOutcome, maxAheadMs: number): Date | null {
  const next = result.kind === 'evaluated' && result.result.nextChangeAt ? new Date(result.result.nextChangeAt) : null;
  if (!next || next.getTime() - deps.now().getTime() > maxAheadMs) return null;
  // One second late, so the evaluation falls after the change.
  return new Date(next.getTime() + 1000);
}

/** The gates of the open pull requests whose head is `sha` (same-repository heads only). */
export async function gateSha(ctx: JobContext, job: Job & { work: { kind: 'gate-sha' } }): Promise<void> {
  const { owner, repo } = job.repo;
  const { sha, event } = job.work;
  let numbers = job.work.pulls ?? [];
  if (job.work.pulls === null) {
    const res = await ctx.client.request('GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls', { owner, repo, commit_sha: sha, per_page: 100 });
    numbers = (res.data as { number: number; state: string; head: { sha: string } }[]).filter((p) => p.state === 'open' && p.head.sha === sha).map((p) => p.number);
  }
  if (numbers.length === 0) ctx.report({ event: job.event, outcome: 'ignored', why: `no open pull request has head ${sha.slice(0, 7)}` });
  for (const n of numbers) await ctx.gate(job, n, event, sha);
}

/** Re-evaluates the open promotions whose `verified_in` is `env`. */
export async function gateDependants(ctx: JobContext, job: Job, env: string, event: GateEvent): Promise<void> {
  const { owner, repo, defaultBranch, fullName } = job.repo;
  let config = ctx.policy(fullName);
  if (!config) {
    const loaded = await loadConfig({ source: githubConfigSource(ctx.client, { cache: ctx.deps.cache }), owner, repo, baseRef: defaultBranch, defaultBranch });
    config = loaded.kind === 'ok' ? loaded.config : null;
    if (config) ctx.deps.onPolicy?.(fullName, config);
  }
  const known = config;
  const stages = (known?.stages ?? []).filter((s) => s.verified_in === env && rulesAffectedBy(event, s, known!).length > 0);
  for (const stage of stages) {
    const res = await ctx.client.request('GET /repos/{owner}/{repo}/pulls', { owner, repo, state: 'open', base: stage.branch, head: `${owner}:${stage.from}`, per_page: 100 });
    for (const pr of res.data as { number: number; head: { sha: string } }[]) await ctx.gate(job, pr.number, event, pr.head.sha);
  }
}
