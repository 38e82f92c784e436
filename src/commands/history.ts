import type { Selectable } from 'kysely';
import type { CommandHistoryTable } from '../locks/schema.js';
import type { ChatopsDb } from '../locks/store.js';

/** Where a received command is. `received`: claimed, and running (or interrupted: a retry resumes it). */
export type CommandState = 'received' | 'done' | 'refused' | 'failed';

/** One comment command as recorded. */
export interface CommandEntry {
  repository: string;
  commentId: number;
  issueNumber: number;
  author: string;
  /** The command's name (`deploy`), or `unknown` / `invalid` / `several`. */
  command: string;
  /** The command line as written. */
  text: string;
  commentUrl: string | null;
  state: CommandState;
  /** What it did or why not, in a sentence. */
  outcome: string | null;
  receivedAt: string;
  finishedAt: string | null;
  replyCommentId: number | null;
}

function toEntry(r: Selectable<CommandHistoryTable>): CommandEntry {
  return {
    repository: r.repository,
    commentId: Number(r.comment_id),
    issueNumber: Number(r.issue_number),
    author: r.author,
    command: r.command,
    text: r.text,
    commentUrl: r.comment_url,
    state: r.state as CommandState,
    outcome: r.outcome,
    receivedAt: r.received_at,
    finishedAt: r.finished_at,
    replyCommentId: r.reply_comment_id === null ? null : Number(r.reply_comment_id),
  };
}

/**
 * Claims a comment's command. `fresh` is true for exactly one caller per comment (process,
 * retry, redelivery): the others get the entry as it stands — finished (do nothing), or still
 * `received` (an interrupted run: its retry resumes it; every step is idempotent).
 */
export async function claimCommand(tx: ChatopsDb, e: Omit<CommandEntry, 'state' | 'outcome' | 'finishedAt' | 'replyCommentId'>): Promise<{ fresh: boolean; entry: CommandEntry }> {
  const res = await tx
    .insertInto('command_history')
    .values({
      repository: e.repository,
      comment_id: e.commentId,
      issue_number: e.issueNumber,
      author: e.author,
      command: e.command,
      text: e.text.slice(0, 1000),
      comment_url: e.commentUrl,
      state: 'received',
      outcome: null,
      received_at: e.receivedAt,
      finished_at: null,
      reply_comment_id: null,
    })
    .onConflict((oc) => oc.columns(['repository', 'comment_id']).doNothing())
    .executeTakeFirst();
  const row = await tx.selectFrom('command_history').selectAll().where('repository', '=', e.repository).where('comment_id', '=', e.commentId).executeTakeFirstOrThrow();
  return { fresh: Number(res.numInsertedOrUpdatedRows ?? 0) > 0, entry: toEntry(row) };
}

/** Records how a command ended (only once: a finished entry is not changed again). */
export async function finishCommand(
  tx: ChatopsDb,
  repository: string,
  commentId: number,
  end: { state: Exclude<CommandState, 'received'>; outcome: string; at: string; replyCommentId: number | null },
): Promise<boolean> {
  const res = await tx
    .updateTable('command_history')
    .set({ state: end.state, outcome: end.outcome.slice(0, 1000), finished_at: end.at, reply_comment_id: end.replyCommentId })
    .where('repository', '=', repository)
    .where('comment_id', '=', commentId)
    .where('state', '=', 'received')
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** The newest commands of a repository (or of one issue), newest first. */
export async function commandHistory(db: ChatopsDb, repository: string, opts: { issueNumber?: number; limit?: number } = {}): Promise<CommandEntry[]> {
  let q = db.selectFrom('command_history').selectAll().where('repository', '=', repository);
  if (opts.issueNumber !== undefined) q = q.where('issue_number', '=', opts.issueNumber);
  const rows = await q
    .orderBy('received_at', 'desc')
    .orderBy('comment_id', 'desc')
    .limit(opts.limit ?? 20)
    .execute();
  return rows.map(toEntry);
}
