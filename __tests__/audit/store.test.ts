import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { exportRows, type ExportRow } from '../../src/audit/export.js';
import { canonicalJson, GENESIS_HASH, recordHash } from '../../src/audit/hash.js';
import type { AuditDatabase, AuditEventInput, AuditRecord } from '../../src/audit/types.js';
import { verifyChain, verifyStore } from '../../src/audit/verify.js';
import { scenarioEvents, SHA } from './scenario.js';
import { storeBackends, swapSeqSql, type FreshStore } from './stores.js';

function event(i: number, over: Partial<AuditEventInput> = {}): AuditEventInput {
  return {
    key: `delivery-${i}:gate.result`,
    repository: 'acme/shop',
    stage: 'staging',
    pullRequest: 7,
    baseSha: 'a'.repeat(40),
    headSha: 'b'.repeat(40),
    actor: 'stagegate[bot]',
    kind: 'gate.result',
    at: `2026-11-${String(1 + (i % 28)).padStart(2, '0')}T10:00:00Z`,
    details: { state: i % 2 ? 'passed' : 'blocked', conclusion: null, rules: [{ id: 'signoff', state: 'x', reason: `r${i}` }] },
    ...over,
  };
}

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

async function collect(store: AuditDatabase, opts: Parameters<typeof exportRows>[1]): Promise<ExportRow[]> {
  return all(exportRows(store, opts));
}

describe.each(storeBackends())('audit store: %s', (_name, backend) => {
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

  it('appends a hash chain per repository: seq from 1, each prevHash the previous hash', async () => {
    const a1 = await store.append(event(1));
    const a2 = await store.append(event(2));
    const b1 = await store.append(event(3, { repository: 'acme/api' }));
    expect([a1.appended, a2.appended, b1.appended]).toEqual([true, true, true]);
    expect([a1.record.seq, a2.record.seq, b1.record.seq]).toEqual([1, 2, 1]);
    expect(a1.record.prevHash).toBe(GENESIS_HASH);
    expect(a2.record.prevHash).toBe(a1.record.hash);
    expect(b1.record.prevHash).toBe(GENESIS_HASH);
    expect(a2.record.hash).toBe(recordHash({ ...a2.record, details: canonicalJson(a2.record.details), prevHash: a1.record.hash }));
    expect(a2.record.hash).toMatch(/^[0-9a-f]{64}$/);
    const shop = await all(store.records('acme/shop'));
    expect(shop).toEqual([a1.record, a2.record]);
    expect(await store.repositories()).toEqual(['acme/api', 'acme/shop']);
  });

  it('stores what it was given: times normalised to UTC, details exactly', async () => {
    const { record } = await store.append(event(1, { at: '2026-11-22T20:30:00+01:00', details: { z: 1, a: { y: [1, 'two', null, true], b: 'é"\n' } } }));
    expect(record.at).toBe('2026-11-22T19:30:00.000Z');
    const [read] = await all(store.records('acme/shop'));
    expect(read?.details).toEqual({ z: 1, a: { y: [1, 'two', null, true], b: 'é"\n' } });
    expect(read?.recordedAt).toBe(record.recordedAt);
  });

  it('is idempotent: a replayed delivery returns the stored record and adds nothing', async () => {
    const first = await store.append(event(1));
    const replay = await store.append({ ...event(1), details: { changed: true } });
    expect(replay.appended).toBe(false);
    expect(replay.record).toEqual(first.record);
    const batch = [event(2), event(3), event(1)];
    const once = await store.appendMany(batch);
    expect(once.map((r) => r.appended)).toEqual([true, true, false]);
    const again = await store.appendMany(batch);
    expect(again.map((r) => r.appended)).toEqual([false, false, false]);
    expect(again.map((r) => r.record.seq)).toEqual([2, 3, 1]);
    expect((await all(store.records('acme/shop'))).map((r) => r.key)).toEqual(['delivery-1:gate.result', 'delivery-2:gate.result', 'delivery-3:gate.result']);
  });

  it('rejects malformed events, naming the field, and appends nothing', async () => {
    await expect(store.append(event(1, { repository: 'not-a-repo' }))).rejects.toThrow(/repository must be "owner\/name"/);
    await expect(store.append(event(1, { kind: 'gate.bogus' as never }))).rejects.toThrow(/unknown kind/);
    await expect(store.append(event(1, { at: 'yesterday' }))).rejects.toThrow(/at must be an ISO 8601 time/);
    await expect(store.append(event(1, { key: ' ' }))).rejects.toThrow(/key must be a non-empty string/);
    await expect(store.append(event(1, { pullRequest: -3 }))).rejects.toThrow(/pullRequest/);
    await expect(store.append(event(1, { details: { n: Number.NaN } }))).rejects.toThrow(/NaN cannot be stored/);
    await expect(store.appendMany([event(2), event(3, { stage: '' })])).rejects.toThrow(/stage/);
    expect(await store.repositories()).toEqual([]);
  });

  it('filters records by time: since inclusive, until exclusive', async () => {
    await store.appendMany([1, 2, 3, 4].map((i) => event(i)));
    const got = await all(store.records('acme/shop', { since: '2026-11-03T10:00:00.000Z', until: '2026-11-05T10:00:00.000Z' }));
    expect(got.map((r) => r.key)).toEqual(['delivery-2:gate.result', 'delivery-3:gate.result']);
  });

  it('pages through long chains in order', async () => {
    const n = 1234;
    await store.appendMany(Array.from({ length: n }, (_, i) => event(i)));
    const got = await all(store.records('acme/shop'));
    expect(got).toHaveLength(n);
    expect(got.every((r, i) => r.seq === i + 1 && r.prevHash === (i === 0 ? GENESIS_HASH : got[i - 1]?.hash))).toBe(true);
    expect((await verifyChain(store, 'acme/shop')).problem).toBeNull();
  });

  it('keeps the chain across re-opening (migrations are idempotent)', async () => {
    const first = await store.append(event(1));
    await store.close();
    store = await fresh.open();
    const reopened = await fresh.open();
    extra.push(reopened);
    const second = await reopened.append(event(2));
    expect(second.record.seq).toBe(2);
    expect(second.record.prevHash).toBe(first.record.hash);
    expect((await all(store.records('acme/shop'))).map((r) => r.seq)).toEqual([1, 2]);
  });

  it('serialises appends from two stores on one database into one intact chain', async () => {
    const other = await fresh.open();
    extra.push(other);
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < 40; i++) {
      writes.push((i % 2 ? store : other).append(event(i)));
      if (i % 10 === 0) writes.push(other.appendMany([event(1000 + i), event(2000 + i)]));
    }
    writes.push(store.append(event(5)), other.append(event(5)));
    await Promise.all(writes);
    const chain = await all(store.records('acme/shop'));
    expect(chain).toHaveLength(48);
    expect(new Set(chain.map((r) => r.key)).size).toBe(48);
    expect(chain.map((r) => r.seq)).toEqual(Array.from({ length: 48 }, (_, i) => i + 1));
    expect((await verifyChain(store, 'acme/shop')).problem).toBeNull();
  });

  it('rejects UPDATE, DELETE at the database (append-only guard)', async () => {
    await store.appendMany([event(1), event(2)]);
    expect(await fresh.tryRaw("UPDATE audit_records SET actor = 'mallory' WHERE seq = 1")).toMatch(/append-only/);
    expect(await fresh.tryRaw('DELETE FROM audit_records WHERE seq = 2')).toMatch(/append-only/);
    const chain = await all(store.records('acme/shop'));
    expect(chain.map((r) => [r.seq, r.actor])).toEqual([
      [1, 'stagegate[bot]'],
      [2, 'stagegate[bot]'],
    ]);
  });

  describe('verify', () => {
    beforeEach(async () => {
      await store.appendMany([1, 2, 3, 4, 5, 6].map((i) => event(i)));
      await store.appendMany([7, 8].map((i) => event(i, { repository: 'acme/api' })));
    });

    it('reports intact chains with their heads', async () => {
      const reports = await verifyStore(store);
      const last = (await all(store.records('acme/shop'))).at(-1) as AuditRecord;
      expect(reports.map((r) => [r.repository, r.records, r.problem])).toEqual([
        ['acme/api', 2, null],
        ['acme/shop', 6, null],
      ]);
      expect(reports[1]?.head).toEqual({ seq: 6, hash: last.hash });
    });

    it('names an edited record (details, actor, or a time)', async () => {
      await fresh.tamper([`UPDATE audit_records SET details = replace(details, 'r4', 'r9') WHERE repository = 'acme/shop' AND seq = 4`]);
      const [api, shop] = await verifyStore(store);
      expect(api?.problem).toBeNull();
      expect(shop?.problem).toMatchObject({ kind: 'edited', seq: 4, key: 'delivery-4:gate.result' });
      expect(shop?.problem?.message).toMatch(/seq 4 .* was edited/);
    });

    it('names an edited time on another record', async () => {
      await fresh.tamper([`UPDATE audit_records SET at = '2026-10-01T00:00:00.000Z' WHERE repository = 'acme/shop' AND seq = 2`]);
      expect((await verifyChain(store, 'acme/shop')).problem).toMatchObject({ kind: 'edited', seq: 2 });
    });

    it('names the record after a deleted one', async () => {
      await fresh.tamper([`DELETE FROM audit_records WHERE repository = 'acme/shop' AND seq = 3`]);
      const report = await verifyChain(store, 'acme/shop');
      expect(report.problem).toMatchObject({ kind: 'deleted', seq: 4, key: 'delivery-4:gate.result' });
      expect(report.problem?.message).toMatch(/seq jumps from 2 to 4/);
    });

    it('names a deleted first record', async () => {
      await fresh.tamper([`DELETE FROM audit_records WHERE repository = 'acme/api' AND seq = 1`]);
      expect((await verifyChain(store, 'acme/api')).problem).toMatchObject({ kind: 'deleted', seq: 2 });
    });

    it('names a reordered pair', async () => {
      await fresh.tamper(swapSeqSql('acme/shop', 3, 4));
      const report = await verifyChain(store, 'acme/shop');
      expect(report.problem).toMatchObject({ kind: 'reordered', seq: 3, key: 'delivery-4:gate.result' });
      expect(report.problem?.message).toMatch(/the record that follows seq 2 is at seq 4/);
    });

    it('names a reordered pair that is far apart', async () => {
      await fresh.tamper(swapSeqSql('acme/shop', 2, 5));
      expect((await verifyChain(store, 'acme/shop')).problem).toMatchObject({ kind: 'reordered', seq: 2 });
    });
  });

  describe('export', () => {
    beforeEach(async () => {
      for (const e of scenarioEvents()) await store.append(e);
    });

    it('one row per deployment and per bypassed merge, joined with what happened later', async () => {
      const rows = await collect(store, { repository: 'acme/shop' });
      expect(rows.map((r) => [r.stage, r.pullRequest, r.deploymentId, r.bypass])).toEqual([
        ['staging', 11, '101', false],
        ['production', 12, '102', false],
        ['staging', 13, null, true],
      ]);
      const [staging, production, bypass] = rows as [ExportRow, ExportRow, ExportRow];
      expect(staging).toMatchObject({
        repository: 'acme/shop',
        range: `${SHA.b1}..${SHA.h1}`,
        sha: SHA.h1,
        at: '2026-11-02T09:30:00.000Z',
        mergedBy: 'erin',
        commitCount: 2,
        authors: ['alice', 'bob', 'Carol C'],
        committers: ['alice', 'web-flow'],
        approvals: [{ login: 'dave', submittedAt: '2026-11-02T09:20:00Z', commitId: SHA.h1 }],
        refusedApprovals: [{ login: 'alice', refusal: 'author', commitId: SHA.h1, submittedAt: '2026-11-02T09:10:00Z' }],
        gateState: 'passed',
        statuses: [
          { state: 'in_progress', description: 'deploying', at: '2026-11-02T09:31:00.000Z', logUrl: null },
          { state: 'success', description: 'verified, 2 smoke tests, 1 metric check', at: '2026-11-02T09:45:00.000Z', logUrl: 'https://github.com/acme/shop/actions/runs/1' },
        ],
        workflowRunUrl: 'https://github.com/acme/shop/actions/runs/1',
        verification: { result: 'success', reasonCode: null },
        integrity: 'unverified',
        rollback: null,
        bypassReasons: [],
      });
      expect(production).toMatchObject({
        range: `${SHA.p0}..${SHA.h1}`,
        approvals: [
          { login: 'anna', commitId: SHA.h1 },
          { login: 'dave', commitId: SHA.h1 },
        ],
        refusedApprovals: [],
        statuses: [{ state: 'failure', description: '5xx ratio 0.04 > 0.01', at: '2026-11-04T10:12:00.000Z', logUrl: null }],
        policy: null,
        requiredChecks: null,
        verification: { result: 'rolled_back', reasonCode: 'metric-threshold' },
        rollback: { rollbackDeploymentId: '103', sha: SHA.p0, state: 'success' },
        committers: ['alice', 'web-flow'],
      });
      expect(bypass).toMatchObject({
        sha: SHA.m3,
        mergedBy: 'root-admin',
        gateState: 'blocked',
        bypassReasons: ['signoff: 0 of 1 approvals', 'checks: test failed'],
        statuses: [],
        commitCount: null,
      });
      const created = (await all(store.records('acme/shop'))).find((r) => r.key === 'deployment:101:created');
      expect(staging.auditSeq).toBe(created?.seq);
      expect(staging.auditHash).toBe(created?.hash);
    });

    it('filters by stage and by time', async () => {
      expect((await collect(store, { repository: 'acme/shop', stage: 'production' })).map((r) => r.deploymentId)).toEqual(['102']);
      expect((await collect(store, { repository: 'acme/shop', since: '2026-11-03T00:00:00.000Z', until: '2026-11-06T00:00:00.000Z' })).map((r) => r.deploymentId)).toEqual(['102']);
      expect((await collect(store, { repository: 'acme/api' })).map((r) => r.deploymentId)).toEqual(['201']);
      expect(await collect(store, { repository: 'acme/none' })).toEqual([]);
    });

    it('gives the same rows whatever the page size', async () => {
      const big = await collect(store, { repository: 'acme/shop' });
      const small = await collect(store, { repository: 'acme/shop', pageSize: 1 });
      expect(small).toEqual(big);
    });

    it('fails, naming the record, on a deployment without its id', async () => {
      await store.append({ ...event(99), key: 'broken', kind: 'deployment.created', details: { sha: 'x' } });
      await expect(collect(store, { repository: 'acme/shop' })).rejects.toThrow(/seq \d+ \(deployment\.created\) has no deploymentId/);
    });
  });
});
