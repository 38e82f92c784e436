import type { Config, StageConfig } from '../src/config/schema.js';
import { statusOf, type GitHubRequester } from '../src/github/client.js';
import { dutyAt, dutyStages, formatHandover, mayApprove, reviewRequestOf, type Duty } from '../src/rotation/schedule.js';
import type { AppDeps } from './deps.js';

/** What the duty step did. */
export type DutyOutcome = { kind: 'none'; why: string } | { kind: 'requested' | 'already-requested' | 'failed'; team: string; error?: string };

/** Who is on duty for a stage now (null when no rotation covers it or nobody is on duty yet). */
export function dutyFor(config: Config, stage: StageConfig, now: Date): (Duty & { team: string; label: string | null }) | null {
  const r = config.rotation;
  if (!r || !dutyStages(config).some((s) => s.name === stage.name)) return null;
  const d = dutyAt(r, now);
  if (!d.team) return null;
  return { ...d, team: d.team, label: d.until ? formatHandover(r, d.until) : null };
}

/**
 * Requests the team (or user) on duty as reviewer of a promotion PR it may approve, once per PR and
 * turn (the audit trail's `duty.requested` record is the memory, so a redelivery or another process
 * does not ask again; GitHub ignores a repeated request anyway). The next turn's team is requested
 * on the first evaluation after the hand-over.
 */
export async function requestDuty(
  deps: AppDeps,
  client: GitHubRequester,
  where: { owner: string; repo: string; pullNumber: number; baseSha: string; headSha: string; author: string },
  e: { config: Config; stage: StageConfig },
): Promise<DutyOutcome> {
  const duty = dutyFor(e.config, e.stage, deps.now());
  if (!duty) return { kind: 'none', why: `no rotation covers ${e.stage.name}, or nobody is on duty` };
  if (!mayApprove(e.stage, duty.team)) return { kind: 'none', why: `${duty.team} is not among the reviewers of ${e.stage.name}` };
  if (duty.team.toLowerCase() === where.author.toLowerCase()) return { kind: 'none', why: `${duty.team} opened the pull request` };
  const repository = `${where.owner}/${where.repo}`;
  const key = `duty:${repository}#${where.pullNumber}:${duty.team.toLowerCase()}:${duty.since?.toISOString() ?? ''}`;
  if (await deps.store.findByKey(key)) return { kind: 'already-requested', team: duty.team };
  const common = {
    key,
    repository,
    stage: e.stage.name,
    pullRequest: where.pullNumber,
    baseSha: where.baseSha,
    headSha: where.headSha,
    actor: (await deps.self()).login,
    kind: 'duty.requested' as const,
    at: deps.now().toISOString(),
  };
  const turn = { pullRequest: where.pullNumber, team: duty.team, since: duty.since?.toISOString() ?? null, until: duty.until?.toISOString() ?? null };
  try {
    await client.request('POST /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers', { owner: where.owner, repo: where.repo, pull_number: where.pullNumber, ...reviewRequestOf(duty.team) });
  } catch (err) {
    const error = `GitHub refused the review request${statusOf(err) ? ` (HTTP ${statusOf(err)})` : ''}: ${(err as Error).message}`;
    await deps.store.append({ ...common, details: { ...turn, outcome: 'failed', error } });
    return { kind: 'failed', team: duty.team, error };
  }
  await deps.store.append({ ...common, details: { ...turn, outcome: 'requested' } });
  return { kind: 'requested', team: duty.team };
}
