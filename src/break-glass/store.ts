import type { Selectable } from 'kysely';
import type { Waivable } from '../config/schema.js';
import type { ChatopsDb } from '../locks/store.js';
import type { BreakGlassTable } from '../locks/schema.js';
import type { BreakGlass, FollowUpApproval } from './types.js';

const list = <T>(json: string): T[] => {
  try {
    const v = JSON.parse(json) as unknown;
    return Array.isArray(v) ? (v as T[]) : [];
  } catch {
    return [];
  }
};

async function withApprovals(db: ChatopsDb, row: Selectable<BreakGlassTable>): Promise<BreakGlass> {
  const approvals = await db.selectFrom('break_glass_approvals').selectAll().where('break_glass_id', '=', row.id).orderBy('at').execute();
  return {
    id: row.id,
    repository: row.repository,
    stage: row.stage,
    pullRequest: Number(row.pull_request),
    headSha: row.head_sha,
    by: row.by_login,
    reason: row.reason,
    at: row.at,
    waive: list<Waivable>(row.waive),
    commentUrl: row.comment_url,
    followUp: {
      issueNumber: row.issue_number === null ? null : Number(row.issue_number),
      issueUrl: row.issue_url,
      approvalsRequired: Number(row.approvals_required),
      deadline: row.deadline,
      reviewers: list<string>(row.reviewers),
      approvals: approvals.map((a): FollowUpApproval => ({ login: a.login, at: a.at, commentUrl: a.comment_url, note: a.note })),
      overdueFlaggedAt: row.overdue_flagged_at,
    },
  };
}

/** What recording a break-glass did: recorded, or there already is one for this head (returned). */
export type RecordBreakGlassResult = { kind: 'recorded'; breakGlass: BreakGlass } | { kind: 'exists'; breakGlass: BreakGlass };

/** Records a break-glass for its head (one per head: a second one for the same head finds the first). Run it in a transaction. */
export async function recordBreakGlass(tx: ChatopsDb, bg: BreakGlass): Promise<RecordBreakGlassResult> {
  const existing = await breakGlassFor(tx, bg.repository, bg.stage, bg.pullRequest, bg.headSha);
  if (existing) return { kind: 'exists', breakGlass: existing };
  await tx
    .insertInto('break_glass')
    .values({
      id: bg.id,
      repository: bg.repository,
      stage: bg.stage,
      pull_request: bg.pullRequest,
      head_sha: bg.headSha.toLowerCase(),
      by_login: bg.by,
      reason: bg.reason,
      at: bg.at,
      waive: JSON.stringify(bg.waive),
      comment_url: bg.commentUrl,
      issue_number: bg.followUp.issueNumber,
      issue_url: bg.followUp.issueUrl,
      approvals_required: bg.followUp.approvalsRequired,
      deadline: bg.followUp.deadline,
      reviewers: JSON.stringify(bg.followUp.reviewers),
      overdue_flagged_at: null,
    })
    .execute();
  return { kind: 'recorded', breakGlass: bg };
}

/** The break-glass of a promotion head, or null. */
export async function breakGlassFor(db: ChatopsDb, repository: string, stage: string, pullRequest: number, headSha: string): Promise<BreakGlass | null> {
  const row = await db
    .selectFrom('break_glass')
    .selectAll()
    .where('repository', '=', repository)
    .where('stage', '=', stage)
    .where('pull_request', '=', pullRequest)
    .where('head_sha', '=', headSha.toLowerCase())
    .executeTakeFirst();
  return row ? withApprovals(db, row) : null;
}

/** A break-glass by id. */
export async function breakGlassById(db: ChatopsDb, id: string): Promise<BreakGlass | null> {
  const row = await db.selectFrom('break_glass').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? withApprovals(db, row) : null;
}

/** The break-glass whose follow-up is issue `issueNumber`, or null. */
export async function breakGlassOfIssue(db: ChatopsDb, repository: string, issueNumber: number): Promise<BreakGlass | null> {
  const row = await db.selectFrom('break_glass').selectAll().where('repository', '=', repository).where('issue_number', '=', issueNumber).executeTakeFirst();
  return row ? withApprovals(db, row) : null;
}

/** Every break-glass of a repository, newest first (at most `limit`). */
export async function breakGlassesOf(db: ChatopsDb, repository: string, limit = 50): Promise<BreakGlass[]> {
  const rows = await db.selectFrom('break_glass').selectAll().where('repository', '=', repository).orderBy('at', 'desc').limit(limit).execute();
  return Promise.all(rows.map((r) => withApprovals(db, r)));
}

/** Records the follow-up issue the app opened for a break-glass (once). */
export async function setFollowUpIssue(tx: ChatopsDb, id: string, issue: { number: number; url: string }): Promise<void> {
  await tx.updateTable('break_glass').set({ issue_number: issue.number, issue_url: issue.url }).where('id', '=', id).where('issue_number', 'is', null).execute();
}

/** Adds a reviewer's approval (once per reviewer); false when they had approved already. */
export async function addFollowUpApproval(tx: ChatopsDb, id: string, approval: FollowUpApproval): Promise<boolean> {
  const res = await tx
    .insertInto('break_glass_approvals')
    .values({ break_glass_id: id, login: approval.login.toLowerCase(), at: approval.at, comment_url: approval.commentUrl, note: approval.note })
    .onConflict((oc) => oc.columns(['break_glass_id', 'login']).doNothing())
    .executeTakeFirst();
  return Number(res.numInsertedOrUpdatedRows ?? 0) > 0;
}

/** Follow-ups past their deadline, short of approvals and not flagged yet (at most `limit`). */
export async function overdueUnflagged(db: ChatopsDb, now: Date, limit = 50): Promise<BreakGlass[]> {
  const rows = await db.selectFrom('break_glass').selectAll().where('overdue_flagged_at', 'is', null).where('deadline', '<=', now.toISOString()).orderBy('deadline').limit(limit).execute();
  const all = await Promise.all(rows.map((r) => withApprovals(db, r)));
  return all.filter((bg) => bg.followUp.approvals.length < bg.followUp.approvalsRequired);
}

/** Marks a follow-up as flagged overdue (once); true for the caller that flagged it. */
export async function flagOverdue(tx: ChatopsDb, id: string, at: string): Promise<boolean> {
  const res = await tx.updateTable('break_glass').set({ overdue_flagged_at: at }).where('id', '=', id).where('overdue_flagged_at', 'is', null).executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** The next deadline after `now` of a follow-up not flagged yet, or null (to wake up then and look for overdue ones). */
export async function nextFollowUpDeadline(db: ChatopsDb, now: Date): Promise<string | null> {
  const row = await db.selectFrom('break_glass').select('deadline').where('overdue_flagged_at', 'is', null).where('deadline', '>', now.toISOString()).orderBy('deadline').executeTakeFirst();
  return row?.deadline ?? null;
}
