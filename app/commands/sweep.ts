import { flagOverdue, overdueUnflagged } from '../../src/break-glass/store.js';
import { overdueBody } from '../../src/commands/render.js';
import type { GitHubRequester } from '../../src/github/client.js';
import { expireLocks } from '../../src/locks/store.js';
import { marker } from '../../src/protocol/markers.js';
import type { AppDeps } from '../deps.js';
import { upsertComment } from '../comment-writes.js';
import { lockReleasedRecord } from './records.js';

/** What one sweep settled. */
export interface SweepOutcome {
  expired: { stage: string; lockId: string }[];
  overdue: { breakGlassId: string; pullRequest: number }[];
}

/**
 * Settles what ran out by itself, durably and with no webhook: locks past their end are recorded
 * released (`lock.released`, `expired`) and their stage's promotions re-evaluated (they turn green);
 * break-glass follow-ups past their deadline short of approvals are flagged once (a notice on the
 * pull request and on the follow-up issue, and `break_glass.overdue`). Safe to run in every process
 * at once: each end is claimed in the database by one of them.
 */
export async function sweepChatops(deps: AppDeps, env: { client: GitHubRequester; owner: string; repo: string; reevaluateStage(stage: string): Promise<number[]> }): Promise<SweepOutcome> {
  const { client, owner, repo } = env;
  const repository = `${owner}/${repo}`;
  const now = deps.now();
  const out: SweepOutcome = { expired: [], overdue: [] };
  const expired = await deps.chatops.transaction((tx) => expireLocks(tx, now));
  for (const lock of expired) {
    await deps.store.append(lockReleasedRecord(lock));
    out.expired.push({ stage: lock.stage, lockId: lock.id });
  }
  for (const stage of new Set(expired.filter((l) => l.repository === repository).map((l) => l.stage))) await env.reevaluateStage(stage);

  const due = (await deps.chatops.read((db) => overdueUnflagged(db, now))).filter((b) => b.repository === repository);
  const self = await deps.self();
  for (const bg of due) {
    if (!(await deps.chatops.transaction((tx) => flagOverdue(tx, bg.id, now.toISOString())))) continue;
    await deps.store.append({
      repository,
      stage: bg.stage,
      pullRequest: bg.pullRequest,
      baseSha: null,
      headSha: bg.headSha,
      at: now.toISOString(),
      key: `break-glass:${bg.id}:overdue`,
      actor: null,
      kind: 'break_glass.overdue',
      details: { breakGlassId: bg.id, deadline: bg.followUp.deadline, approvals: bg.followUp.approvals.length, required: bg.followUp.approvalsRequired, issueUrl: bg.followUp.issueUrl },
    });
    const body = overdueBody(bg);
    const where = { author: self.login, owner, repo, marker: marker(`overdue:${bg.id}`), body };
    await upsertComment(client, { ...where, issueNumber: bg.pullRequest });
    if (bg.followUp.issueNumber !== null) await upsertComment(client, { ...where, issueNumber: bg.followUp.issueNumber });
    out.overdue.push({ breakGlassId: bg.id, pullRequest: bg.pullRequest });
  }
  return out;
}
