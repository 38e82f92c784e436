import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { FigureRow } from '../../src/health/format.js';
import { storeBackends, type FreshStore } from '../audit/stores.js';
import { runMain } from '../cli/run.js';
import { History, HOUR } from './history.js';

// `stagegate metrics` on both stores: the figures of a known history, in each format.
describe.each(storeBackends())('stagegate metrics: %s', (_name, backend) => {
  let fresh: FreshStore;

  beforeAll(async () => {
    await backend.start();
    fresh = await backend.fresh();
    const store = await fresh.open();
    const h = new History();
    h.deploy({ id: 1, stage: 'staging', at: '2026-11-02T10:00:00Z', pr: 1, commits: [{ sha: 's1', authoredAt: '2026-11-02T06:00:00Z' }] })
      .verify(1, 'staging', 'success', '2026-11-02T11:00:00Z')
      .deploy({ id: 2, stage: 'production', at: '2026-11-03T10:00:00Z', pr: 2, commits: [{ sha: 's1', authoredAt: '2026-11-02T06:00:00Z' }] })
      .verify(2, 'production', 'failure', '2026-11-03T10:30:00Z')
      .deploy({ id: 3, stage: 'production', at: '2026-11-03T12:00:00Z', pr: 3, commits: [{ sha: 's2', authoredAt: '2026-11-03T11:00:00Z' }] })
      .verify(3, 'production', 'success', '2026-11-03T12:30:00Z');
    await store.appendMany(h.events);
    await store.close();
  }, 120_000);
  afterAll(() => backend.stop());

  const since = ['--since', '2026-11-01', '--until', '2026-11-30'];

  it('--format json: one row per stage and period, lead time, failure rate and restore in seconds', async () => {
    const r = await runMain(['metrics', '--repo', 'acme/shop', ...since, '--format', 'json', ...fresh.cliArgs]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { figures: FigureRow[] };
    expect(out.figures.map((f) => f.stage)).toEqual(['staging', 'production']);
    const [staging, production] = out.figures;
    expect(staging).toMatchObject({ period: 'since', from: '2026-11-01T00:00:00.000Z', to: '2026-12-01T00:00:00.000Z', verifiedDeployments: 1, leadTimeMedianSeconds: (5 * HOUR) / 1000 });
    // s1 reached production with deployment 3 (30.5 h after its author date), s2 1.5 h: median 16 h.
    expect(production).toMatchObject({
      verifiedDeployments: 1,
      changeFailures: 1,
      deploymentsWithVerdict: 2,
      changeFailureRate: 0.5,
      failures: 1,
      restored: 1,
      openFailures: 0,
      timeToRestoreMedianSeconds: 2 * 3600,
      leadTimeCommits: 2,
      leadTimeMedianSeconds: 16 * 3600,
    });
  });

  it('--format csv and --stage', async () => {
    const r = await runMain(['metrics', '--repo', 'acme/shop', '--stage', 'production', ...since, '--format', 'csv', ...fresh.cliArgs]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\r\n').filter(Boolean);
    expect(lines[0]).toMatch(/^repository,stage,period,from,to,verifiedDeployments,/);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^acme\/shop,production,since,/);
  });

  it('table: the last 7, 30 and 90 days per stage by default', async () => {
    const r = await runMain(['metrics', '--repo', 'acme/shop', ...fresh.cliArgs]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Delivery health of acme\/shop/);
    expect(r.stdout).toMatch(/^staging$/m);
    expect(r.stdout).toMatch(/^ {2}last 7 days /m);
    expect(r.stdout).toMatch(/^ {2}last 90 days /m);
  });

  it('usage errors name the flag (exit 2)', async () => {
    for (const [args, message] of [
      [['metrics'], /one --repo/],
      [['metrics', '--repo', 'acme/shop', '--format', 'xml'], /--format: expected table, json or csv/],
      [['metrics', '--repo', 'acme/shop', '--tz', 'Europe/Berln'], /--tz: "Europe\/Berln" is not an IANA time zone/],
      [['metrics', '--repo', 'acme/shop', '--until', '2026-11-01'], /--until goes with --since/],
      [['metrics', '--repo', 'acme/shop', '--anchors'], /--anchors is not an option of "metrics"/],
    ] as const) {
      const r = await runMain([...args, ...fresh.cliArgs]);
      expect([r.code, r.stderr]).toEqual([2, expect.stringMatching(message)]);
    }
  });
});
