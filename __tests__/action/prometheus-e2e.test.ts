import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { parseDeploymentPayload } from '../../src/protocol/deployment-payload.js';
import { startDemoService, type DemoService, type Traffic } from '../../sandbox/services/demo-service.js';
import { startPrometheus, type PrometheusServer } from '../../sandbox/services/prometheus.js';
import { actionRepo, appDeploys, deploysOf, descriptionsOf, mergedPromotion, reportComments, startActionWorld, statesOf, type ActionWorld } from './action-world.js';

// The bundle, in real workflow runs of the sandbox, against a REAL Prometheus (Debian package, started
// here on loopback) scraping a demo service every second. The deploy command switches the demo
// service's release; the bad release answers 30% of its requests with 500, which only the metric
// check can see.

const RATIO = 'sum(rate(demo_http_requests_total{route="api",code=~"5.."}[4s])) / sum(rate(demo_http_requests_total{route="api"}[4s]))';

let w: ActionWorld;
let demo: DemoService;
let prom: PrometheusServer;
let traffic: Traffic;
let repo: string;
const releases: Record<string, number> = {};
let healthy: { deploymentId: number; merge: string };

function stage(): string {
  return `name: production
branch: production
from: master
deploy:
  command: bash ./deploy.sh
  timeout: 30s
verify:
  smoke:
    - name: health
      url: ${demo.url}/healthz
      expect: { status: 200, json: { status: ok } }
      retries: 2
      timeout: 5s
    - name: deployed version
      run: node ./http.mjs GET ${demo.url}/version "$STAGEGATE_SHA"
  metrics:
    url: ${prom.url}
    window: 6s
    interval: 1s
    checks:
      - name: 5xx ratio
        query: ${RATIO}
        max: 0.05
      - name: traffic
        query: sum(rate(demo_http_requests_total{route="api"}[4s]))
        min: 1
auto_rollback: true
`;
}

beforeAll(async () => {
  // Versions are SHAs; the bad release's is known once its promotion is merged: the demo service
  // looks its error ratio up at deploy time through this map.
  demo = await startDemoService({ releases });
  prom = await startPrometheus({ targets: [demo.target], scrapeInterval: '1s' });
  traffic = demo.startTraffic({ rps: 40, maxDurationMs: 170_000 });
  w = await startActionWorld({ DEMO_URL: demo.url });
  repo = await actionRepo(w, 'metrics', 'production');
  await prom.waitForTargets(60_000);
  // rate() needs two scrapes: wait until the traffic has data.
  await prom.waitForQuery(`sum(rate(demo_http_requests_total{route="api"}[4s]))`, (v) => v.length === 1 && v[0]! > 1, 60_000);
}, 150_000);

afterAll(async () => {
  traffic?.stop();
  await prom?.stop();
  await demo?.stop();
  await w?.stop();
});

describe('metric checks measured by a real Prometheus', () => {
  it('a healthy release passes: deployment success, the comment shows the observed values', async () => {
    const p = await mergedPromotion(w, repo, { 'release.txt': 'healthy\n' }, 'production');
    const { deploymentId, run } = await appDeploys(w, repo, p, stage());
    healthy = { deploymentId, merge: p.merge };

    expect(w.sb.violations).toEqual([]);
    expect([run.outputs.result, run.outputs['reason-code']]).toEqual(['success', 'ok']);
    expect(statesOf(w, repo, deploymentId)).toEqual(['queued', 'in_progress', 'success']);
    const report = JSON.parse(run.outputs.report ?? '{}') as { attempt: { metrics: { name: string; verdict: string; evidence: { samples: number; max?: number; min?: number } }[] } };
    const metrics = report.attempt.metrics;
    expect(metrics.map((m) => [m.name, m.verdict])).toEqual([
      ['5xx ratio', 'pass'],
      ['traffic', 'pass'],
    ]);
    expect(metrics[0]!.evidence.samples).toBeGreaterThanOrEqual(6);
    expect(metrics[0]!.evidence.max).toBe(0);
    expect(metrics[1]!.evidence.min).toBeGreaterThan(1);
    expect(reportComments(w, repo, p.pr, deploymentId)[0]!.body).toMatch(/\| metric: 5xx ratio \| 0 \(\d+ samples\) \| ≤ 0\.05 \| ✅ pass \|/);
    expect(demo.release().version).toBe(p.merge);
  }, 90_000);

  it('an unhealthy release fails on its 5xx ratio and is rolled back to the previous verified release, reported', async () => {
    const p = await mergedPromotion(w, repo, { 'release.txt': 'bad\n' }, 'production');
    releases[p.merge] = 0.3;
    const { deploymentId, run } = await appDeploys(w, repo, p, stage());

    expect(w.sb.violations).toEqual([]);
    expect(run.conclusion).toBe('failure');
    expect([run.outputs.result, run.outputs['reason-code']]).toEqual(['rolled_back', 'metrics-failed']);
    const report = JSON.parse(run.outputs.report ?? '{}') as { previousSha: string; attempt: { metrics: { name: string; verdict: string; evidence: { max?: number } }[] } };
    expect(report.previousSha).toBe(healthy.merge);
    // The failed deployment is marked failure; a NEW deployment of the previous verified release succeeded.
    expect(statesOf(w, repo, deploymentId)).toEqual(['queued', 'in_progress', 'failure']);
    expect(descriptionsOf(w, repo, deploymentId).at(-1)).toMatch(/^failure: metrics-failed \(5xx ratio 0\.\d+ > 0\.05; rolling back to [0-9a-f]{7}\)$/);
    const rollback = [...w.sb.repo(repo).deployments.values()].find((d) => {
      const pp = parseDeploymentPayload(d.payload);
      return pp.kind === 'rollback' && pp.payload.rollback_of === deploymentId;
    })!;
    expect(rollback.sha).toBe(healthy.merge);
    expect(statesOf(w, repo, rollback.id)).toEqual(['in_progress', 'success']);
    // What runs now is the previous release — its own code (release.txt of that commit) ran for the rollback.
    expect(demo.release().version).toBe(healthy.merge);
    expect(deploysOf(run).map((d) => [d[1], d[4], d[6]])).toEqual([
      [p.merge, 'false', 'release=bad'],
      [healthy.merge, 'true', 'release=healthy'],
    ]);
    const ratio = report.attempt.metrics[0]!;
    expect(ratio.verdict).toBe('fail');
    expect(ratio.evidence.max).toBeGreaterThan(0.05);
    const body = reportComments(w, repo, p.pr, deploymentId)[0]!.body;
    expect(body).toContain('rolled back to');
    expect(body).toMatch(/\| metric: 5xx ratio \| [^|]+ \| ≤ 0\.05 \| ❌ fail \|/);
    expect(body).toContain('Rolled back the changes');
    expect(body).toContain(`as deployment ${rollback.id}`);
  }, 90_000);
});
