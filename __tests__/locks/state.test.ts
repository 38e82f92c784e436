import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { addFollowUpApproval, breakGlassFor, breakGlassOfIssue, flagOverdue, nextFollowUpDeadline, overdueUnflagged, recordBreakGlass, setFollowUpIssue } from '../../src/break-glass/store.js';
import type { BreakGlass } from '../../src/break-glass/types.js';
import { claimCommand, commandHistory, finishCommand } from '../../src/commands/history.js';
import { activeLock, activeLocks, expireLocks, lockById, nextLockExpiry, releaseLock, takeLock } from '../../src/locks/store.js';
import type { StageLock } from '../../src/locks/types.js';
import { chatopsBackends } from './backends.js';

const T0 = new Date('2026-12-01T10:00:00.000Z');
const at = (s: number) => new Date(T0.getTime() + s * 1000);

function lock(over: Partial<StageLock> = {}): StageLock {
  return {
    id: 'acme/shop:1',
    repository: 'acme/shop',
    stage: 'production',
    holder: 'anna',
    reason: 'board demo',
    lockedAt: T0.toISOString(),
    expiresAt: null,
    pullRequest: 7,
    commentUrl: 'u1',
    ...over,
  };
}

function glass(over: Partial<BreakGlass> = {}): BreakGlass {
  return {
    id: 'bg-1',
    repository: 'acme/shop',
    stage: 'production',
    pullRequest: 7,
    headSha: 'a'.repeat(40),
    by: 'sam',
    reason: 'checkout down',
    at: T0.toISOString(),
    waive: ['signoff', 'windows'],
    commentUrl: 'c1',
    followUp: { issueNumber: null, issueUrl: null, approvalsRequired: 2, deadline: at(3600).toISOString(), reviewers: ['@acme/leads'], approvals: [], overdueFlaggedAt: null },
    ...over,
  };
}

describe.each(chatopsBackends())('ChatOps state on %s', (_name, backend) => {
  beforeAll(() => backend.start(), 60_000);
  afterAll(() => backend.stop());

  it('takes, renews, refuses and releases a stage lock', async () => {
    const state = await (await backend.fresh()).open();
    try {
      expect(await state.transaction((tx) => takeLock(tx, lock(), T0))).toMatchObject({ kind: 'taken' });
      expect(await state.read((db) => activeLock(db, 'acme/shop', 'production', T0))).toMatchObject({ holder: 'anna', reason: 'board demo' });
      // The same command again (a retry) takes nothing new.
      expect(await state.transaction((tx) => takeLock(tx, lock(), T0))).toMatchObject({ kind: 'replayed' });
      // Someone else: held.
      expect(await state.transaction((tx) => takeLock(tx, lock({ id: 'acme/shop:2', holder: 'bob' }), T0))).toMatchObject({ kind: 'held', lock: { holder: 'anna' } });
      // The holder again: renewed with the new reason and end.
      const renewed = await state.transaction((tx) => takeLock(tx, lock({ id: 'acme/shop:3', reason: 'longer demo', expiresAt: at(60).toISOString() }), T0));
      expect(renewed).toMatchObject({ kind: 'renewed', lock: { reason: 'longer demo', expiresAt: at(60).toISOString() }, previous: { reason: 'board demo' } });
      // Another stage is independent.
      expect(await state.transaction((tx) => takeLock(tx, lock({ id: 'acme/shop:4', stage: 'staging', holder: 'bob' }), T0))).toMatchObject({ kind: 'taken' });
      expect((await state.read((db) => activeLocks(db, 'acme/shop', T0))).map((l) => l.stage)).toEqual(['production', 'staging']);
      const released = await state.transaction((tx) => releaseLock(tx, 'acme/shop', 'production', { login: 'admin1', at: at(5).toISOString(), commentUrl: 'u9' }, at(5)));
      expect(released).toMatchObject({ kind: 'released', lock: { holder: 'anna', release: { how: 'unlocked', by: 'admin1', commentUrl: 'u9' } } });
      expect(await state.read((db) => activeLock(db, 'acme/shop', 'production', at(6)))).toBeNull();
      expect(await state.transaction((tx) => releaseLock(tx, 'acme/shop', 'production', { login: 'x', at: at(7).toISOString(), commentUrl: null }, at(7)))).toEqual({ kind: 'none', expired: null });
    } finally {
      await state.close();
    }
  });

  it('two processes locking one stage at once: exactly one holds it', async () => {
    const fresh = await backend.fresh();
    const [a, b] = [await fresh.open(), await fresh.open()];
    try {
      const results = await Promise.all([a.transaction((tx) => takeLock(tx, lock({ id: 'x:1', holder: 'anna' }), T0)), b.transaction((tx) => takeLock(tx, lock({ id: 'x:2', holder: 'bob' }), T0))]);
      expect(results.map((r) => r.kind).sort()).toEqual(['held', 'taken']);
      const holder = results.find((r) => r.kind === 'taken')!.lock.holder;
      expect(await b.read((db) => activeLock(db, 'acme/shop', 'production', T0))).toMatchObject({ holder });
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('an expired lock holds no more, is recorded as expired at its end, and makes way for a new one', async () => {
    const state = await (await backend.fresh()).open();
    try {
      await state.transaction((tx) => takeLock(tx, lock({ expiresAt: at(1).toISOString() }), T0));
      expect(await state.read((db) => nextLockExpiry(db))).toBe(at(1).toISOString());
      expect(await state.read((db) => activeLock(db, 'acme/shop', 'production', at(0.5)))).not.toBeNull();
      expect(await state.read((db) => activeLock(db, 'acme/shop', 'production', at(1)))).toBeNull();
      const expired = await state.transaction((tx) => expireLocks(tx, at(2)));
      expect(expired).toEqual([expect.objectContaining({ id: 'acme/shop:1', release: { how: 'expired', at: at(1).toISOString() } })]);
      expect(await state.transaction((tx) => expireLocks(tx, at(3)))).toEqual([]);
      expect(await state.read((db) => nextLockExpiry(db))).toBeNull();
      expect(await state.transaction((tx) => takeLock(tx, lock({ id: 'acme/shop:2', holder: 'bob' }), at(4)))).toMatchObject({ kind: 'taken', expired: null });
      expect((await state.read((db) => lockById(db, 'acme/shop:1')))?.release).toEqual({ how: 'expired', at: at(1).toISOString() });
    } finally {
      await state.close();
    }
  });

  it('taking over an expired lock that was never recorded as expired records it on the way', async () => {
    const state = await (await backend.fresh()).open();
    try {
      await state.transaction((tx) => takeLock(tx, lock({ expiresAt: at(1).toISOString() }), T0));
      const r = await state.transaction((tx) => takeLock(tx, lock({ id: 'acme/shop:2', holder: 'bob' }), at(10)));
      expect(r).toMatchObject({ kind: 'taken', expired: { id: 'acme/shop:1', release: { how: 'expired' } } });
    } finally {
      await state.close();
    }
  });

  it('break-glass: one per head, its follow-up issue, approvals once per reviewer, overdue flagged once', async () => {
    const state = await (await backend.fresh()).open();
    try {
      expect(await state.transaction((tx) => recordBreakGlass(tx, glass()))).toMatchObject({ kind: 'recorded' });
      expect(await state.transaction((tx) => recordBreakGlass(tx, glass({ id: 'bg-2', by: 'other' })))).toMatchObject({ kind: 'exists', breakGlass: { id: 'bg-1', by: 'sam' } });
      await state.transaction((tx) => setFollowUpIssue(tx, 'bg-1', { number: 12, url: 'https://x/issues/12' }));
      await state.transaction((tx) => setFollowUpIssue(tx, 'bg-1', { number: 99, url: 'https://x/issues/99' }));
      const byIssue = await state.read((db) => breakGlassOfIssue(db, 'acme/shop', 12));
      expect(byIssue).toMatchObject({ id: 'bg-1', waive: ['signoff', 'windows'], followUp: { issueNumber: 12, reviewers: ['@acme/leads'], approvalsRequired: 2 } });
      expect(await state.transaction((tx) => addFollowUpApproval(tx, 'bg-1', { login: 'Tom', at: at(10).toISOString(), commentUrl: 'c2', note: 'ok' }))).toBe(true);
      expect(await state.transaction((tx) => addFollowUpApproval(tx, 'bg-1', { login: 'tom', at: at(11).toISOString(), commentUrl: 'c3', note: null }))).toBe(false);
      const bg = await state.read((db) => breakGlassFor(db, 'acme/shop', 'production', 7, 'A'.repeat(40)));
      expect(bg?.followUp.approvals).toEqual([{ login: 'tom', at: at(10).toISOString(), commentUrl: 'c2', note: 'ok' }]);
      expect(await state.read((db) => nextFollowUpDeadline(db, T0))).toBe(at(3600).toISOString());
      expect(await state.read((db) => overdueUnflagged(db, at(3599)))).toEqual([]);
      expect((await state.read((db) => overdueUnflagged(db, at(3600)))).map((b) => b.id)).toEqual(['bg-1']);
      expect(await state.transaction((tx) => flagOverdue(tx, 'bg-1', at(3601).toISOString()))).toBe(true);
      expect(await state.transaction((tx) => flagOverdue(tx, 'bg-1', at(3602).toISOString()))).toBe(false);
      expect(await state.read((db) => overdueUnflagged(db, at(4000)))).toEqual([]);
    } finally {
      await state.close();
    }
  });

  it('a follow-up with its approvals is never overdue', async () => {
    const state = await (await backend.fresh()).open();
    try {
      await state.transaction((tx) => recordBreakGlass(tx, glass({ followUp: { ...glass().followUp, approvalsRequired: 1 } })));
      await state.transaction((tx) => addFollowUpApproval(tx, 'bg-1', { login: 'tom', at: at(10).toISOString(), commentUrl: null, note: null }));
      expect(await state.read((db) => overdueUnflagged(db, at(99_999)))).toEqual([]);
    } finally {
      await state.close();
    }
  });

  it('a comment’s command is claimed once, across processes, and finished once', async () => {
    const fresh = await backend.fresh();
    const [a, b] = [await fresh.open(), await fresh.open()];
    try {
      const entry = { repository: 'acme/shop', commentId: 9_000_000_001, issueNumber: 7, author: 'anna', command: 'lock', text: '/stagegate lock demo', commentUrl: 'c', receivedAt: T0.toISOString() };
      const claims = await Promise.all([a.transaction((tx) => claimCommand(tx, entry)), b.transaction((tx) => claimCommand(tx, entry))]);
      expect(claims.map((c) => c.fresh).sort()).toEqual([false, true]);
      expect(claims.every((c) => c.entry.state === 'received')).toBe(true);
      expect(await a.transaction((tx) => finishCommand(tx, 'acme/shop', entry.commentId, { state: 'done', outcome: 'locked', at: at(1).toISOString(), replyCommentId: 5 }))).toBe(true);
      expect(await b.transaction((tx) => finishCommand(tx, 'acme/shop', entry.commentId, { state: 'failed', outcome: 'x', at: at(2).toISOString(), replyCommentId: 6 }))).toBe(false);
      await a.transaction((tx) => claimCommand(tx, { ...entry, commentId: 9_000_000_002, command: 'status', text: '/stagegate status', receivedAt: at(5).toISOString() }));
      const history = await b.read((db) => commandHistory(db, 'acme/shop', { issueNumber: 7 }));
      expect(history.map((h) => [h.commentId, h.command, h.state, h.outcome, h.replyCommentId])).toEqual([
        [9_000_000_002, 'status', 'received', null, null],
        [9_000_000_001, 'lock', 'done', 'locked', 5],
      ]);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
