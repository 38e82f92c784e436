import { describe, expect, it } from '@jest/globals';
import { fakeFacts } from '../../src/facts/fake.js';
import type { StageHolds } from '../../src/gate/types.js';
import { memoryHolds } from '../../src/locks/holds.js';
import { lockExpiry } from '../../src/locks/model.js';
import type { StageLock } from '../../src/locks/types.js';
import { lockRule } from '../../src/rules/lock.js';
import { ctxOf, productConfig } from './support.js';

const NOW = new Date('2026-11-24T09:00:00Z');

function lock(over: Partial<StageLock> = {}): StageLock {
  return {
    id: 'l1',
    repository: 'acme/shop',
    stage: 'production',
    holder: 'anna',
    reason: 'board demo',
    lockedAt: '2026-11-24T08:00:00.000Z',
    expiresAt: '2026-11-24T11:00:00.000Z',
    pullRequest: 7,
    commentUrl: 'https://github.com/acme/shop/pull/7#issuecomment-1',
    ...over,
  };
}

const run = (holds: StageHolds | undefined, stage = 'production') => {
  const ctx = ctxOf(productConfig(), stage, fakeFacts(), NOW);
  return lockRule.evaluate(holds ? { ...ctx, holds } : { ...ctx, holds: undefined });
};

describe('lock rule', () => {
  it('an unlocked stage passes', async () => {
    expect(await run(memoryHolds())).toMatchObject({ id: 'lock', state: 'passed', reason: 'production is not locked' });
  });

  it('a locked stage is pending, naming who, why and until when, and changes when the lock expires', async () => {
    const r = await run(memoryHolds({ locks: [lock()], now: () => NOW }));
    expect(r).toEqual({
      id: 'lock',
      title: 'Lock',
      state: 'pending',
      reason: 'production is locked by @anna (“board demo”) since 2026-11-24T08:00:00.000Z, until 2026-11-24T11:00:00.000Z',
      matched: ['anna'],
      nextChangeAt: '2026-11-24T11:00:00.000Z',
    });
  });

  it('a lock without an end holds until unlocked, and sets no timer', async () => {
    const r = await run(memoryHolds({ locks: [lock({ expiresAt: null, reason: null })], now: () => NOW }));
    expect(r.state).toBe('pending');
    expect(r.reason).toBe('production is locked by @anna since 2026-11-24T08:00:00.000Z, until unlocked');
    expect(r.nextChangeAt).toBeUndefined();
  });

  it('an expired lock no longer holds; another stage’s lock does not either', async () => {
    expect((await run(memoryHolds({ locks: [lock({ expiresAt: '2026-11-24T08:59:59.000Z' })], now: () => NOW }))).state).toBe('passed');
    expect((await run(memoryHolds({ locks: [lock()], now: () => NOW }), 'staging')).state).toBe('passed');
  });

  it('fails closed: no database consulted is pending, one that cannot be read blocks', async () => {
    expect(await run(undefined)).toMatchObject({ state: 'pending', reason: expect.stringContaining('not known here') });
    const broken: StageHolds = { lock: async () => Promise.reject(new Error('database is locked')), breakGlass: async () => null };
    expect(await run(broken)).toMatchObject({ state: 'blocked', reason: 'the lock state could not be read: database is locked' });
  });
});

describe('lockExpiry', () => {
  it('--for wins, then the default, else until unlocked', () => {
    expect(lockExpiry(3_600_000, {}, NOW)).toEqual({ ok: true, expiresAt: '2026-11-24T10:00:00.000Z' });
    expect(lockExpiry(null, { default_duration: '2h' }, NOW)).toEqual({ ok: true, expiresAt: '2026-11-24T11:00:00.000Z' });
    expect(lockExpiry(null, {}, NOW)).toEqual({ ok: true, expiresAt: null });
  });

  it('refuses past max_duration, and an endless lock when there is a maximum', () => {
    expect(lockExpiry(3 * 86_400_000, { max_duration: '1d' }, NOW)).toEqual({ ok: false, reason: '--for 3d is longer than the 1d a lock may last here (locks.max_duration)' });
    expect(lockExpiry(null, { max_duration: '1d' }, NOW)).toMatchObject({ ok: false, reason: expect.stringContaining('add --for') });
    expect(lockExpiry(86_400_000, { max_duration: '1d' }, NOW)).toEqual({ ok: true, expiresAt: '2026-11-25T09:00:00.000Z' });
  });
});
