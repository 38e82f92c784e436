import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { rebuildDeliveryRollup } from '../../src/audit/delivery-rollup.js';
import type { AuditDatabase } from '../../src/audit/types.js';
import { deliveryHealth, type HealthReport } from '../../src/health/compute.js';
import { bucketsOf, lastDays } from '../../src/health/periods.js';
import { storeBackends, type FreshStore } from '../audit/stores.js';
import { History, HOUR } from './history.js';

// Known answers on hand-built audit histories, on the embedded store and on a real PostgreSQL.
const NOW = new Date('2026-11-30T12:00:00Z');
const P = 'production';

/** A production history: an old verified deploy, a verified one, a failed deploy (protection-rule mode) rolled back and restored by the next, an untrusted success, a refusal, a bypass. */
function productionHistory(): History {
  return new History()
    .deploy({ id: 100, stage: P, at: '2026-09-10T09:00:00Z', pr: 1, commits: [{ sha: 'c0', authoredAt: '2026-09-09T10:00:00Z' }] })
    .verify(100, P, 'success', '2026-09-10T10:00:00Z')
    .deploy({ id: 101, stage: P, at: '2026-11-20T10:00:00Z', pr: 2, commits: [{ sha: 'c1', authoredAt: '2026-11-19T10:00:00Z' }], approvers: ['carol', 'dave'] })
    .status(101, P, 'in_progress', '2026-11-20T10:01:00Z')
    .verify(101, P, 'success', '2026-11-20T11:00:00Z')
    .deploy({
      id: 102,
      stage: P,
      at: '2026-11-25T09:00:00Z',
      pr: 3,
      mode: 'protection_rule',
      mergedBy: 'erin',
      approvers: ['frank'],
      commits: [
        { sha: 'c2', authoredAt: '2026-11-24T09:00:00Z' },
        { sha: 'c3', authoredAt: '2026-11-25T08:59:00Z', parents: 2 },
      ],
    })
    .verify(102, P, 'rolled_back', '2026-11-25T10:00:00Z')
    .rollback(102, P, '2026-11-25T10:05:00Z', 'm101'.padEnd(40, '0'))
    .deploy({ id: 103, stage: P, at: '2026-11-26T08:00:00Z', pr: 4, commits: [{ sha: 'c4', authoredAt: '2026-11-26T07:00:00Z' }] })
    .verify(103, P, 'success', '2026-11-26T09:00:00Z')
    .deploy({ id: 104, stage: P, at: '2026-11-28T10:00:00Z', pr: 5, commits: [{ sha: 'c5', authoredAt: '2026-11-28T09:00:00Z' }] })
    .verify(104, P, 'untrusted', '2026-11-28T10:30:00Z')
    .deploy({ id: 105, stage: P, at: '2026-11-29T10:00:00Z', pr: 6, commits: [{ sha: 'c6', authoredAt: '2026-11-29T09:00:00Z' }] })
    .refused(105, P, '2026-11-29T10:01:00Z')
    .bypass(7, P, '2026-11-29T11:00:00Z');
}

describe.each(storeBackends())('delivery metrics: %s', (_name, backend) => {
  let store: AuditDatabase;
  let report: HealthReport;
  let fresh: FreshStore;

  beforeAll(async () => {
    await backend.start();
    fresh = await backend.fresh();
    store = await fresh.open();
    // Appended in batches of mixed sizes, as the app does (one append per record, some together).
    const events = productionHistory().events;
    await store.appendMany(events.slice(0, 5));
    for (const e of events.slice(5)) await store.append(e);
    report = await deliveryHealth(store, { repository: 'acme/shop', stages: ['staging', P], now: NOW });
  }, 120_000);
  afterAll(async () => {
    await store?.close();
    await backend.stop();
  });

  const prod = () => report.stages.find((s) => s.stage === P)!;
  const figures = (period: '7d' | '30d' | '90d') => prod().figures[report.periods.findIndex((p) => p.id === period)]!;

  it('lists the stages in the policy order, a stage without deployments included, with empty figures', () => {
    expect(report.stages.map((s) => s.stage)).toEqual(['staging', P]);
    const staging = report.stages[0]!;
    expect(staging.running).toBeNull();
    expect(staging.figures.map((f) => [f.verified, f.withVerdict, f.leadTime.medianMs, f.restore.medianMs])).toEqual([
      [0, 0, null, null],
      [0, 0, null, null],
      [0, 0, null, null],
    ]);
    expect(staging.series.every((p) => p.verified === 0 && p.leadMedianMs === null)).toBe(true);
  });

  it('deployment frequency counts verified deployments only (not the untrusted success, the refusal or the rolled-back one)', () => {
    expect([figures('7d').verified, figures('30d').verified, figures('90d').verified]).toEqual([1, 2, 3]);
    expect(figures('7d').unverified).toEqual({ pending: 0, untrusted: 1, refused: 1 });
  });

  it('change failure rate: rolled back ÷ deployments with a verdict, by the time of the verdict', () => {
    expect([figures('7d').failed, figures('7d').withVerdict]).toEqual([1, 2]);
    expect([figures('30d').failed, figures('30d').withVerdict]).toEqual([1, 3]);
    expect([figures('90d').failed, figures('90d').withVerdict]).toEqual([1, 4]);
  });

  it('lead time: author date → first verified deployment that carries the commit; a failed deploy’s commit counts at the next verified one; merge commits left out', () => {
    // 7 days: c2 (failed with 102, verified with 103: 48 h) and c4 (2 h).
    expect(figures('7d').leadTime).toEqual({ commits: 2, medianMs: 25 * HOUR, p90Ms: 2 * HOUR + 0.9 * 46 * HOUR });
    // 30 days: + c1 (25 h): [2, 25, 48] → median 25 h, p90 = 25 + 0.8 × 23 h.
    expect(figures('30d').leadTime.commits).toBe(3);
    expect(figures('30d').leadTime.medianMs).toBe(25 * HOUR);
    expect(figures('30d').leadTime.p90Ms).toBeCloseTo(25 * HOUR + 0.8 * 23 * HOUR, -1);
    // 90 days: + c0 (24 h): [2, 24, 25, 48].
    expect(figures('90d').leadTime.commits).toBe(4);
    expect(figures('90d').leadTime.medianMs).toBe(24.5 * HOUR);
  });

  it('time to restore: the rolled-back deployment is restored by the next verified one (23 h), not by its rollback', () => {
    expect(figures('7d').restore).toEqual({ failures: 1, restored: 1, medianMs: 23 * HOUR });
    expect(figures('90d').restore).toEqual({ failures: 1, restored: 1, medianMs: 23 * HOUR });
  });

  it('says what runs in production: the newest settled deployment is the untrusted success, and the refusal is not running', () => {
    const running = prod().running!;
    expect(running.kind).toBe('untrusted');
    expect(running.deployment.deploymentId).toBe('104');
    expect(prod().inProgress).toBeNull();
  });

  it('recent promotions: deployments of both modes and the bypass, newest first, with who merged and who signed off', () => {
    const recent = report.recent.map((r) => (r.kind === 'bypass' ? `bypass #${r.bypass.pullRequest}` : `${r.deployment.deploymentId} ${r.deployment.mode} ${r.deployment.outcome}`));
    expect(recent).toEqual([
      'bypass #7',
      '105 dispatch refused',
      '104 dispatch untrusted',
      '103 dispatch verified',
      '102 protection_rule rolled_back',
      '101 dispatch verified',
      '100 dispatch verified',
    ]);
    const pr = report.recent.find((r) => r.kind === 'deployment' && r.deployment.deploymentId === '102');
    expect(pr?.kind === 'deployment' && [pr.deployment.mergedBy, pr.deployment.approvers, pr.deployment.rollbackSha?.slice(0, 4), pr.deployment.restoredMs]).toEqual([
      'erin',
      ['frank'],
      'm101',
      Date.parse('2026-11-26T09:00:00Z'),
    ]);
    const d101 = report.recent.find((r) => r.kind === 'deployment' && r.deployment.deploymentId === '101');
    expect(d101?.kind === 'deployment' && d101.deployment.approvers).toEqual(['carol', 'dave']);
  });

  it('charts: 90 days by week, with the verified deploys and failures in the right buckets', () => {
    expect(report.chart.id).toBe('90d');
    const series = prod().series;
    expect(series.reduce((a, p) => a + p.verified, 0)).toBe(3);
    const week = (label: string) => series.find((p) => p.bucket.label === label)!;
    // Weeks start on Monday: 2026-11-23 holds the failure (25th) and the restore (26th).
    expect(week('2026-11-23')).toMatchObject({ verified: 1, withVerdict: 2, failed: 1, leadMedianMs: 25 * HOUR, restoreMedianMs: 23 * HOUR });
    expect(week('2026-11-16')).toMatchObject({ verified: 1, failed: 0, leadMedianMs: 25 * HOUR });
  });

  it('days are days of the requested time zone', async () => {
    const h = new History('acme/tz');
    // 23:30 UTC on the 26th is the 27th in Tokyo.
    h.deploy({ id: 1, stage: P, at: '2026-11-26T23:00:00Z', pr: 1, commits: [{ sha: 'a', authoredAt: '2026-11-26T22:00:00Z' }] }).verify(1, P, 'success', '2026-11-26T23:30:00Z');
    await store.appendMany(h.events);
    const chart = (zone: string) => lastDays(7, NOW, zone);
    const utc = await deliveryHealth(store, { repository: 'acme/tz', now: NOW, zone: 'UTC', chart: chart('UTC') });
    const tokyo = await deliveryHealth(store, { repository: 'acme/tz', now: NOW, zone: 'Asia/Tokyo', chart: chart('Asia/Tokyo') });
    const day = (r: HealthReport) => r.stages[0]!.series.find((p) => p.verified > 0)?.bucket.label;
    expect(day(utc)).toBe('2026-11-26');
    expect(day(tokyo)).toBe('2026-11-27');
    // The last 7 days in Tokyo start at Tokyo's midnight (15:00 UTC the day before).
    expect(new Date(tokyo.periods[0]!.startMs).toISOString()).toBe('2026-11-23T15:00:00.000Z');
  });

  it('an out-of-order verification (an earlier deployment verified after a later one) still gives each commit its first verification', async () => {
    const h = new History('acme/late');
    h.deploy({ id: 1, stage: P, at: '2026-11-27T10:00:00Z', pr: 1, commits: [{ sha: 'x1', authoredAt: '2026-11-27T09:00:00Z' }] })
      .deploy({ id: 2, stage: P, at: '2026-11-27T11:00:00Z', pr: 2, commits: [{ sha: 'x2', authoredAt: '2026-11-27T10:30:00Z' }] })
      .verify(2, P, 'success', '2026-11-27T12:00:00Z')
      .verify(1, P, 'success', '2026-11-27T10:30:00Z');
    await store.appendMany(h.events);
    const r = await deliveryHealth(store, { repository: 'acme/late', now: NOW });
    // x1: 1.5 h (its own verification, recorded late), x2: 1.5 h.
    expect(r.stages[0]!.figures[0]!.leadTime).toMatchObject({ commits: 2, medianMs: 1.5 * HOUR });
  });

  it('the roll-up rebuilt from the chain gives the same figures', async () => {
    await store.read((db) => rebuildDeliveryRollup(db));
    const again = await deliveryHealth(store, { repository: 'acme/shop', stages: ['staging', P], now: NOW });
    expect(again).toEqual(report);
  });

  it('after a failed deployment rolled back, the stage runs the release it went back to (with that deployment’s promotion)', async () => {
    const h = new History('acme/rb');
    h.deploy({ id: 1, stage: P, at: '2026-11-27T10:00:00Z', pr: 11, commits: [{ sha: 'r1', authoredAt: '2026-11-27T09:00:00Z' }] })
      .verify(1, P, 'success', '2026-11-27T10:30:00Z')
      .deploy({ id: 2, stage: P, at: '2026-11-28T10:00:00Z', pr: 12, commits: [{ sha: 'r2', authoredAt: '2026-11-28T09:00:00Z' }] })
      .verify(2, P, 'rolled_back', '2026-11-28T10:20:00Z')
      .rollback(2, P, '2026-11-28T10:25:00Z', 'm1'.padEnd(40, '0'))
      .deploy({ id: 3, stage: P, at: '2026-11-29T10:00:00Z', pr: 13, commits: [{ sha: 'r3', authoredAt: '2026-11-29T09:00:00Z' }] })
      .status(3, P, 'in_progress', '2026-11-29T10:01:00Z');
    await store.appendMany(h.events);
    const r = await deliveryHealth(store, { repository: 'acme/rb', now: NOW });
    const s = r.stages[0]!;
    expect(s.running?.kind).toBe('rolled-back');
    expect(s.running?.kind === 'rolled-back' && [s.running.sha.slice(0, 2), s.running.target?.deploymentId, s.running.target?.pullRequest, s.running.deployment.deploymentId]).toEqual([
      'm1',
      '1',
      11,
      '2',
    ]);
    expect(s.inProgress?.deploymentId).toBe('3');
    // The failure is open: no deployment was verified after it.
    expect(s.figures[0]!.restore).toEqual({ failures: 1, restored: 0, medianMs: null });
  });

  it('the migration fills the roll-up from records already in the chain (a store made before it existed)', async () => {
    await store.close();
    // Back to a store of migration 0001 alone: the roll-up (0002) and everything after it are not there yet.
    await fresh.tamper([
      'DROP TABLE deploy_intents',
      'DROP TABLE delivery_commits',
      'DROP TABLE delivery_deployments',
      "DELETE FROM kysely_migration WHERE name IN ('0002_delivery_rollup', '0003_deploy_intents')",
    ]);
    store = await fresh.open();
    expect(await deliveryHealth(store, { repository: 'acme/shop', stages: ['staging', P], now: NOW })).toEqual(report);
  });

  it('a replayed record changes nothing', async () => {
    const events = productionHistory().events;
    const results = await store.appendMany(events);
    expect(results.every((r) => !r.appended)).toBe(true);
    expect(await deliveryHealth(store, { repository: 'acme/shop', stages: ['staging', P], now: NOW })).toEqual(report);
  });
});

describe('periods', () => {
  it('a week across the end of daylight saving time has a 25-hour day in Berlin', () => {
    const period = lastDays(7, new Date('2026-10-28T12:00:00Z'), 'Europe/Berlin');
    const days = bucketsOf(period, 'Europe/Berlin');
    expect(days.map((d) => d.label)).toEqual(['2026-10-22', '2026-10-23', '2026-10-24', '2026-10-25', '2026-10-26', '2026-10-27', '2026-10-28']);
    expect((days[3]!.endMs - days[3]!.startMs) / HOUR).toBe(25);
    expect(days[6]!.endMs).toBe(Date.parse('2026-10-28T12:00:00Z'));
  });
  it('90 days are charted by week (Mondays), the first and last weeks cut at the period', () => {
    const period = lastDays(90, new Date('2026-11-30T12:00:00Z'), 'UTC');
    const weeks = bucketsOf(period, 'UTC');
    expect(weeks[0]!.startMs).toBe(period.startMs);
    expect(weeks[1]!.label).toBe('2026-09-07');
    expect(weeks.at(-1)!.label).toBe('2026-11-30');
  });
});
