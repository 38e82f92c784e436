import { describe, expect, it } from '@jest/globals';
import { metricsSchema } from '../../src/config/schema.js';
import { FakeMetricsSource, MetricsUnavailableError, watchMetrics, type MetricSample } from '../../src/verify/metrics.js';

function cfg(extra: Record<string, unknown> = {}, checks: Record<string, unknown>[] = [{ name: 'ratio', query: 'q_ratio', max: 0.01 }]) {
  return metricsSchema.parse({ url: 'http://127.0.0.1:9090', window: '5m', interval: '1m', checks, ...extra });
}

function clock() {
  let t = 0;
  const sleeps: number[] = [];
  return { sleeps, now: () => t, sleep: async (ms: number) => void (sleeps.push(ms), (t += ms)) };
}

const v = (value: number, labels: Record<string, string> = {}): MetricSample => ({ labels, value });

describe('watchMetrics', () => {
  it('queries once per interval for the whole window, the first one interval after the start', async () => {
    const c = clock();
    const src = new FakeMetricsSource(() => [v(0.001)]);
    const out = await watchMetrics(cfg(), src, c);
    expect(out.reasonCode).toBe('ok');
    expect(out.rounds).toBe(5);
    expect(src.queries).toEqual(['q_ratio', 'q_ratio', 'q_ratio', 'q_ratio', 'q_ratio']);
    expect(c.sleeps).toEqual([60_000, 60_000, 60_000, 60_000, 60_000]);
    expect(out.checks[0]).toMatchObject({ verdict: 'pass', observed: '0.001 (5 samples)', threshold: '≤ 0.01' });
  });

  it('a window shorter than the interval still queries once', async () => {
    const src = new FakeMetricsSource(() => [v(1)]);
    const out = await watchMetrics(cfg({ window: '10s', interval: '1m' }), src, clock());
    expect(out.rounds).toBe(1);
  });

  it('a value above max fails at once, naming the series and the value; the rest of the window is skipped', async () => {
    const src = new FakeMetricsSource((_q, round) => (round < 2 ? [v(0.002, { service: 'api' })] : [v(0.2, { service: 'api' }), v(0.001, { service: 'web' })]));
    const out = await watchMetrics(cfg(), src, clock());
    expect(out.reasonCode).toBe('metrics-failed');
    expect(out.message).toBe('ratio{service="api"} 0.2 > 0.01');
    expect(out.rounds).toBe(3);
    expect(out.checks[0]).toMatchObject({ verdict: 'fail', observed: '0.001–0.2, last 0.001 (4 samples)' });
    expect(out.checks[0]!.evidence).toMatchObject({ min: 0.001, max: 0.2, samples: 4 });
  });

  it('a value below min fails', async () => {
    const out = await watchMetrics(cfg({}, [{ name: 'rps', query: 'rps', min: 10 }]), new FakeMetricsSource(() => [v(3)]), clock());
    expect([out.reasonCode, out.message]).toEqual(['metrics-failed', 'rps 3 < 10']);
  });

  it('no data fails by default, and NaN counts as no data', async () => {
    let out = await watchMetrics(cfg(), new FakeMetricsSource(() => []), clock());
    expect([out.reasonCode, out.message]).toEqual(['metrics-no-data', 'ratio: the query returned no data']);
    out = await watchMetrics(cfg(), new FakeMetricsSource(() => [v(NaN)]), clock());
    expect([out.reasonCode, out.message]).toEqual(['metrics-no-data', 'ratio: the query returned no data (only NaN values)']);
    expect(out.checks[0]!.observed).toBe('no data');
  });

  it('on_no_data: pass (section or check) lets empty answers through, and the check still sees values later', async () => {
    let out = await watchMetrics(cfg({ on_no_data: 'pass' }), new FakeMetricsSource(() => []), clock());
    expect(out.reasonCode).toBe('ok');
    expect(out.checks[0]).toMatchObject({ verdict: 'pass', observed: 'no data' });
    out = await watchMetrics(cfg({}, [{ name: 'ratio', query: 'q', max: 0.01, on_no_data: 'pass' }]), new FakeMetricsSource((_q, r) => (r === 0 ? [] : [v(0.5)])), clock());
    expect(out.reasonCode).toBe('metrics-failed');
  });

  it('an unreachable source is metrics-unavailable, even when another check crossed a threshold in the same round', async () => {
    const src = new FakeMetricsSource((q) => (q === 'q_down' ? new MetricsUnavailableError('Prometheus at x cannot be reached: ECONNREFUSED') : [v(5)]));
    const out = await watchMetrics(
      cfg({}, [
        { name: 'ratio', query: 'q_ratio', max: 0.01 },
        { name: 'down', query: 'q_down', max: 1 },
      ]),
      src,
      clock(),
    );
    expect(out.reasonCode).toBe('metrics-unavailable');
    expect(out.message).toBe('down: Prometheus at x cannot be reached: ECONNREFUSED');
    expect(out.checks.map((c) => [c.name, c.verdict, c.observed])).toEqual([
      ['ratio', 'fail', '5 (1 sample)'],
      ['down', 'fail', 'Prometheus unavailable'],
    ]);
  });

  it('the evidence keeps the observed history per round', async () => {
    const out = await watchMetrics(cfg({ window: '2m' }), new FakeMetricsSource((_q, r) => [v(r / 1000, { code: '500' })]), clock());
    const history = out.checks[0]!.evidence.history as { round: number; series: { labels: Record<string, string>; value: number }[] }[];
    expect(history.map((h) => [h.round, h.series[0]!.value])).toEqual([
      [0, 0],
      [1, 0.001],
    ]);
  });
});
