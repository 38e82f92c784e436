import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { IntentKey } from '../../src/audit/deploy-intents.js';
import type { AuditDatabase } from '../../src/audit/types.js';
import { storeBackends, type FreshStore } from './stores.js';

const key: IntentKey = { repository: 'acme/shop', pullRequest: 7, mergeSha: 'c'.repeat(40) };
const init = { stage: 'staging', workflow: 'stagegate-deploy.yml', ref: 'staging', startTimeoutMs: 60_000 };
const t0 = new Date('2026-12-01T10:00:00.000Z');
const at = (ms: number): Date => new Date(t0.getTime() + ms);

describe.each(storeBackends())('deploy intents: %s', (_name, backend) => {
  let fresh: FreshStore;
  let store: AuditDatabase;
  const extra: AuditDatabase[] = [];

  beforeAll(() => backend.start(), 60_000);
  afterAll(() => backend.stop());
  beforeEach(async () => {
    fresh = await backend.fresh();
    store = await fresh.open();
  });
  afterEach(async () => {
    await store.close();
    for (const s of extra.splice(0)) await s.close();
  });

  it('the first claim takes the intent; another holder finds it held while the lease lives, and takes it over after', async () => {
    const first = await store.intents.claim(key, init, 'p1', t0, 30_000);
    expect([first.kind, first.kind === 'claimed' && first.taken, first.intent.state, first.intent.holder]).toEqual(['claimed', 'new', 'claimed', 'p1']);
    const second = await store.intents.claim(key, init, 'p2', at(29_999), 30_000);
    expect([second.kind, second.intent.holder]).toEqual(['held', 'p1']);
    // p1 got as far as creating the deployment, then died.
    expect((await store.intents.update(key, 'p1', { state: 'created', deploymentId: 5_000_000_001 }, at(1000), 30_000))?.deploymentId).toBe(5_000_000_001);
    const late = await store.intents.claim(key, init, 'p2', at(31_001), 30_000);
    expect([late.kind, late.kind === 'claimed' && late.taken, late.intent.state, late.intent.deploymentId, late.intent.holder]).toEqual(['claimed', 'over', 'created', 5_000_000_001, 'p2']);
    // The dead holder's late write changes nothing.
    expect(await store.intents.update(key, 'p1', { state: 'failed' }, at(32_000), 30_000)).toBeNull();
    expect((await store.intents.get(key))?.state).toBe('created');
  });

  it('a settled intent is never claimed again, whoever asks and however late', async () => {
    await store.intents.claim(key, init, 'p1', t0, 30_000);
    await store.intents.update(key, 'p1', { state: 'dispatched', deploymentId: 42, dispatchedAt: at(10).toISOString() }, at(10), 30_000);
    for (const [holder, when] of [
      ['p1', at(20)],
      ['p2', at(10 * 60_000)],
    ] as const) {
      const again = await store.intents.claim(key, init, holder, when, 30_000);
      expect([again.kind, again.intent.state, again.intent.deploymentId]).toEqual(['settled', 'dispatched', 42]);
    }
  });

  it('a released lease can be taken over at once', async () => {
    await store.intents.claim(key, init, 'p1', t0, 30_000);
    await store.intents.release(key, 'p1', at(5));
    const next = await store.intents.claim(key, init, 'p2', at(6), 30_000);
    expect([next.kind, next.intent.holder]).toEqual(['claimed', 'p2']);
  });

  it('of twelve claims racing from three connections to one database, exactly one wins', async () => {
    const others = [await fresh.open(), await fresh.open()];
    extra.push(...others);
    const dbs = [store, ...others];
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => dbs[i % 3]!.intents.claim(key, init, `p${i}`, t0, 30_000)));
    const winners = results.filter((r) => r.kind === 'claimed');
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => r.kind === 'held').every((r) => r.intent.holder === winners[0]!.intent.holder)).toBe(true);
  });

  it('a transition from a state happens once: of two racing sweepers one moves dispatched → start-timed-out', async () => {
    await store.intents.claim(key, init, 'p1', t0, 30_000);
    await store.intents.update(key, 'p1', { state: 'dispatched', deploymentId: 42, dispatchedAt: t0.toISOString() }, t0, 30_000);
    const other = await fresh.open();
    extra.push(other);
    expect((await store.intents.dispatched(10)).map((i) => [i.deploymentId, i.startTimeoutMs])).toEqual([[42, 60_000]]);
    const moved = await Promise.all([
      store.intents.transition(key, 'dispatched', { state: 'start-timed-out', outcome: 'no run started' }, at(61_000)),
      other.intents.transition(key, 'dispatched', { state: 'start-timed-out', outcome: 'no run started' }, at(61_000)),
    ]);
    expect(moved.filter(Boolean)).toHaveLength(1);
    expect(await store.intents.get(key)).toMatchObject({ state: 'start-timed-out', outcome: 'no run started' });
    expect(await store.intents.dispatched(10)).toEqual([]);
  });

  it('intents of another pull request or merge commit are their own', async () => {
    await store.intents.claim(key, init, 'p1', t0, 30_000);
    const otherSha = await store.intents.claim({ ...key, mergeSha: 'd'.repeat(40) }, init, 'p2', t0, 30_000);
    const otherPr = await store.intents.claim({ ...key, pullRequest: 8 }, init, 'p3', t0, 30_000);
    expect([otherSha.kind, otherPr.kind]).toEqual(['claimed', 'claimed']);
  });
});
