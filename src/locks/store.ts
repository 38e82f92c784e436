import type { Kysely, Selectable } from 'kysely';
import { isActive } from './model.js';
import type { ChatopsSchema, StageLocksTable } from './schema.js';
import type { LockRecord, StageLock } from './types.js';

/** The ChatOps tables over Kysely: the store itself, or a transaction of it. */
export type ChatopsDb = Kysely<ChatopsSchema>;

function toLock(r: Selectable<StageLocksTable>): LockRecord {
  return {
    id: r.id,
    repository: r.repository,
    stage: r.stage,
    holder: r.holder,
    reason: r.reason,
    lockedAt: r.locked_at,
    expiresAt: r.expires_at,
    pullRequest: r.pull_request === null ? null : Number(r.pull_request),
    commentUrl: r.comment_url,
    release:
      r.released_at === null
        ? null
        : r.release_how === 'expired'
          ? { how: 'expired', at: r.released_at }
          : { how: 'unlocked', by: r.released_by ?? '', at: r.released_at, commentUrl: r.release_comment_url },
  };
}

function unreleased(db: ChatopsDb, repository: string, stage: string) {
  return db.selectFrom('stage_locks').selectAll().where('repository', '=', repository).where('stage', '=', stage).where('released_at', 'is', null);
}

/** The lock holding `stage` at `now` (an expired one is not: it released itself at its end), or null. */
export async function activeLock(db: ChatopsDb, repository: string, stage: string, now: Date): Promise<StageLock | null> {
  const row = await unreleased(db, repository, stage).executeTakeFirst();
  if (!row) return null;
  const lock = toLock(row);
  return isActive(lock, now) ? lock : null;
}

/** Every lock of a repository holding at `now`. */
export async function activeLocks(db: ChatopsDb, repository: string, now: Date): Promise<StageLock[]> {
  const rows = await db.selectFrom('stage_locks').selectAll().where('repository', '=', repository).where('released_at', 'is', null).orderBy('stage').execute();
  return rows.map(toLock).filter((l) => isActive(l, now));
}

/** A lock by id (released or not). */
export async function lockById(db: ChatopsDb, id: string): Promise<LockRecord | null> {
  const row = await db.selectFrom('stage_locks').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toLock(row) : null;
}

/** Marks an unreleased lock that has expired as released at its end (`expired`); returns it, or null. */
async function settleExpired(tx: ChatopsDb, row: Selectable<StageLocksTable>, now: Date): Promise<LockRecord | null> {
  const lock = toLock(row);
  if (isActive(lock, now)) return null;
  const res = await tx.updateTable('stage_locks').set({ released_at: lock.expiresAt, release_how: 'expired' }).where('id', '=', row.id).where('released_at', 'is', null).executeTakeFirst();
  return Number(res.numUpdatedRows) > 0 ? { ...lock, release: { how: 'expired', at: lock.expiresAt! } } : null;
}

/** What taking a lock did. `expired`: a lock that had run out and was released on the way (to record). */
export type TakeLockResult =
  | { kind: 'taken'; lock: StageLock; expired: LockRecord | null }
  /** The holder locked again: reason and end replaced. */
  | { kind: 'renewed'; lock: StageLock; previous: StageLock; expired: null }
  /** Someone else holds the stage. */
  | { kind: 'held'; lock: StageLock; expired: null }
  /** This very lock (same id) was taken before: a replayed command. */
  | { kind: 'replayed'; lock: StageLock; expired: null };

/**
 * Takes the stage's lock for `lock.holder`. Run it in a transaction: at most one unreleased lock per
 * stage (a unique index), so of two processes taking it at once exactly one succeeds; the other
 * sees it held. An expired lock is released first; the holder's own lock is renewed.
 */
export async function takeLock(tx: ChatopsDb, lock: StageLock, now: Date): Promise<TakeLockResult> {
  const same = await lockById(tx, lock.id);
  if (same) return { kind: 'replayed', lock: same, expired: null };
  let expired: LockRecord | null = null;
  const row = await unreleased(tx, lock.repository, lock.stage).executeTakeFirst();
  if (row) {
    expired = await settleExpired(tx, row, now);
    if (!expired) {
      const current = toLock(row);
      if (current.holder.toLowerCase() !== lock.holder.toLowerCase()) return { kind: 'held', lock: current, expired: null };
      await tx.updateTable('stage_locks').set({ reason: lock.reason, expires_at: lock.expiresAt, comment_url: lock.commentUrl, pull_request: lock.pullRequest }).where('id', '=', row.id).execute();
      return { kind: 'renewed', lock: { ...current, reason: lock.reason, expiresAt: lock.expiresAt, commentUrl: lock.commentUrl, pullRequest: lock.pullRequest }, previous: current, expired: null };
    }
  }
  await tx
    .insertInto('stage_locks')
    .values({
      id: lock.id,
      repository: lock.repository,
      stage: lock.stage,
      holder: lock.holder,
      reason: lock.reason,
      locked_at: lock.lockedAt,
      expires_at: lock.expiresAt,
      pull_request: lock.pullRequest,
      comment_url: lock.commentUrl,
      released_at: null,
      released_by: null,
      release_how: null,
      release_comment_url: null,
    })
    .execute();
  return { kind: 'taken', lock, expired };
}

/** What unlocking did: the lock released, or none held (`expired`: it had run out, and is now recorded so). */
export type ReleaseLockResult = { kind: 'released'; lock: LockRecord } | { kind: 'none'; expired: LockRecord | null };

/** Releases the stage's active lock as `by` (an `unlock`). Run it in a transaction. */
export async function releaseLock(tx: ChatopsDb, repository: string, stage: string, by: { login: string; at: string; commentUrl: string | null }, now: Date): Promise<ReleaseLockResult> {
  const row = await unreleased(tx, repository, stage).executeTakeFirst();
  if (!row) return { kind: 'none', expired: null };
  const expired = await settleExpired(tx, row, now);
  if (expired) return { kind: 'none', expired };
  const res = await tx
    .updateTable('stage_locks')
    .set({ released_at: by.at, released_by: by.login, release_how: 'unlocked', release_comment_url: by.commentUrl })
    .where('id', '=', row.id)
    .where('released_at', 'is', null)
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) === 0) return { kind: 'none', expired: null };
  return { kind: 'released', lock: { ...toLock(row), release: { how: 'unlocked', by: by.login, at: by.at, commentUrl: by.commentUrl } } };
}

/**
 * Records every lock that has run out by `now` as released (`expired`, at its end) and returns
 * them, so their end is audited even when no command or evaluation touched the stage.
 */
export async function expireLocks(tx: ChatopsDb, now: Date): Promise<LockRecord[]> {
  const rows = await tx.selectFrom('stage_locks').selectAll().where('released_at', 'is', null).where('expires_at', 'is not', null).where('expires_at', '<=', now.toISOString()).execute();
  const out: LockRecord[] = [];
  for (const row of rows) {
    const r = await settleExpired(tx, row, now);
    if (r) out.push(r);
  }
  return out;
}

/** The next instant an unreleased lock runs out (to wake up then), or null. */
export async function nextLockExpiry(db: ChatopsDb): Promise<string | null> {
  const row = await db.selectFrom('stage_locks').select('expires_at').where('released_at', 'is', null).where('expires_at', 'is not', null).orderBy('expires_at').executeTakeFirst();
  return row?.expires_at ?? null;
}
