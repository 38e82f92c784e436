import type { Context } from 'probot';
import type { Job, JobContext, Route } from '../jobs.js';
import { keepStandingPrs } from '../standing-pr.js';
import { jobOf, type RouteKnowledge } from './common.js';

/** A `push` delivery. */
export type PushPayload = Context<'push'>['payload'];

/** Routes `push`: a branch update a stage promotes from keeps its standing promotion PRs. */
export function routePush(event: { id: string; name: string }, p: PushPayload, known: RouteKnowledge): Route {
  if (!p.ref.startsWith('refs/heads/') || p.deleted) return { kind: 'ignore', why: 'not a branch update' };
  const branch = p.ref.slice('refs/heads/'.length);
  const policy = known.policy(p.repository.full_name);
  if (policy && !policy.stages.some((s) => s.from === branch)) return { kind: 'ignore', why: `no stage promotes from ${branch}` };
  return jobOf(event, p, { kind: 'standing', branch, after: p.after });
}

/** Opens or updates the standing promotion PRs from the pushed branch (serialised per branch). */
export async function runPush(ctx: JobContext, job: Job & { work: { kind: 'standing' } }): Promise<void> {
  const { owner, repo, defaultBranch, htmlUrl, fullName } = job.repo;
  const { branch, after } = job.work;
  await ctx.serial(`${fullName}:standing:${branch}`, async () => {
    const results = await keepStandingPrs(ctx.deps, { client: ctx.client, owner, repo, defaultBranch, branch, after, repoUrl: htmlUrl });
    ctx.report({ event: job.event, outcome: 'standing', results });
  });
}
