import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer } from 'node:net';
import { startDemoService, type DemoService, type Traffic } from '../../sandbox/services/demo-service.js';
import { findPrometheus, startPrometheus, type PrometheusServer } from '../../sandbox/services/prometheus.js';
import { MetricsUnavailableError, PrometheusSource } from '../../src/verify/metrics.js';

// PrometheusSource against a real Prometheus (Debian package) scraping the demo service.

let prom: PrometheusServer;
let demo: DemoService;
let traffic: Traffic;

beforeAll(async () => {
  demo = await startDemoService({ initial: { version: 'v1', errorRatio: 0.5 } });
  prom = await startPrometheus({ targets: [demo.target], scrapeInterval: '1s', jobName: 'source-test' });
  traffic = demo.startTraffic({ rps: 40, maxDurationMs: 120_000 });
  await prom.waitForTargets(60_000);
  await prom.waitForQuery('sum(rate(demo_http_requests_total{route="api"}[4s]))', (v) => v.length === 1 && v[0]! > 1, 60_000);
}, 120_000);

afterAll(async () => {
  traffic?.stop();
  await prom?.stop();
  await demo?.stop();
});

describe('PrometheusSource', () => {
  it('an instant vector: one sample per series with its labels', async () => {
    const src = new PrometheusSource(prom.url);
    const samples = await src.query('sum by (code) (demo_http_requests_total{route="api"})');
    const byCode = Object.fromEntries(samples.map((s) => [s.labels.code, s.value]));
    expect(Object.keys(byCode).sort()).toEqual(['200', '500']);
    expect(byCode['500']).toBeGreaterThan(0);
  });

  it('the 5xx ratio of the demo service is what its release serves', async () => {
    const [ratio] = await new PrometheusSource(prom.url).query('sum(rate(demo_http_requests_total{route="api",code=~"5.."}[4s])) / sum(rate(demo_http_requests_total{route="api"}[4s]))');
    expect(ratio!.value).toBeGreaterThan(0.3);
    expect(ratio!.value).toBeLessThan(0.7);
  });

  it('a scalar is one unlabelled sample; a selector that matches nothing is no data', async () => {
    const src = new PrometheusSource(prom.url);
    expect(await src.query('scalar(vector(0.25))')).toEqual([{ labels: {}, value: 0.25 }]);
    expect(await src.query('demo_http_requests_total{route="does-not-exist"}')).toEqual([]);
  });

  it('a query Prometheus rejects, and a range vector, are errors (never data)', async () => {
    const src = new PrometheusSource(prom.url);
    await expect(src.query('sum(rate(')).rejects.toThrow(/Prometheus answered HTTP 400: bad_data/);
    await expect(src.query('demo_http_requests_total[5s]')).rejects.toThrow('Prometheus returned a matrix result; metric checks need an instant vector or scalar');
  });

  it('an unreachable Prometheus is MetricsUnavailableError after its retries', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const err = await new PrometheusSource(`http://127.0.0.1:${port}/`, { attempts: 2, retryDelayMs: 10 }).query('up').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MetricsUnavailableError);
    expect((err as Error).message).toBe(`Prometheus at http://127.0.0.1:${port}/api/v1/query cannot be reached: ECONNREFUSED`);
  });

  it('a missing prometheus binary is a clear error', () => {
    expect(() => findPrometheus('/nonexistent/prometheus')).toThrow(/the prometheus binary is missing .*apt-get install -y prometheus/);
  });
});
