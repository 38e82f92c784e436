import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { MockGitHub } from '../../action/testing/mock-github.js';
import { startDemoService, type DemoService, type Traffic } from '../../sandbox/services/demo-service.js';
import { startPrometheus, type PrometheusServer } from '../../sandbox/services/prometheus.js';
import { makeWorkspace, randomSha, runBundle, type Workspace } from './harness.js';

// The bundle against a REAL Prometheus (Debian package, started here on loopback) scraping a
// demo service every second. The deploy command switches the demo service's release; the bad
// release answers 30% of its requests with 500, which only the metric check can see.

const RATIO = 'sum(rate(demo_http_requests_total{route="api",code=~"5.."}[4s])) / sum(rate(demo_http_requests_total{route="api"}[4s]))';

let gh: MockGitHub;
let demo: DemoService;
let prom: PrometheusServer;
let traffic: Traffic;
let healthyWs: Workspace;
let badWs: Workspace;
const badSha: string[] = [];

function config(): string {
  return `stages:
  - name: production
    branch: production
    from: staging
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
  gh = new MockGitHub();
  await gh.start();
  // Versions are SHAs; the bad release's SHA is only known after its workspace is committed,
  // so the demo service looks its error ratio up at deploy time through this list.
  const releases: Record<string, number> = {};
  demo = await startDemoService({ releases });
  prom = await startPrometheus({ targets: [demo.target], scrapeInterval: '1s' });
  traffic = demo.startTraffic({ rps: 40, maxDurationMs: 170_000 });
  healthyWs = await makeWorkspace({ '.github/stagegate.yml': config(), 'release.txt': 'healthy\n' });
  badWs = await makeWorkspace({ '.github/stagegate.yml': config(), 'release.txt': 'bad\n' });
  releases[badWs.sha] = 0.3;
  badSha.push(badWs.sha);
  await prom.waitForTargets(60_000);
  // rate() needs two scrapes: wait until the ratio and the traffic have data.
  await prom.waitForQuery(`sum(rate(demo_http_requests_total{route="api"}[4s]))`, (v) => v.length === 1 && v[0]! > 1, 60_000);
}, 150_000);

afterAll(async () => {
  traffic?.stop();
  await prom?.stop();
  await demo?.stop();
  await gh?.stop();
  await healthyWs?.cleanup();
  await badWs?.cleanup();
});

const env = (ws: Workspace): Record<string, string> => ({ DEPLOY_LOG: ws.deployLog, FAIL_SHAS: ws.failShas, DEMO_URL: demo.url });

describe('metric checks measured by a real Prometheus', () => {
  test('a healthy release passes: deployment success, the comment shows the observed values', async () => {
    const first = gh.addDeployment({ sha: randomSha(), environment: 'production', states: ['success'] });
    const dep = gh.addDeployment({ sha: healthyWs.sha, environment: 'production', payload: { pull_request: 7 } });
    const run = await runBundle({
      apiUrl: gh.apiUrl,
      workspace: healthyWs.dir,
      inputs: { token: 't0k', environment: 'production', sha: healthyWs.sha, 'deployment-id': String(dep.id), 'pull-request': '7' },
      env: env(healthyWs),
    });

    expect(gh.violations).toEqual([]);
    expect({ result: run.outputs.result, code: run.outputs['reason-code'], message: run.report.message }).toMatchObject({ result: 'success', code: 'ok' });
    expect(gh.statesOf(dep.id)).toEqual(['in_progress', 'success']);
    expect(run.report.previousSha).toBe(first.sha);
    const metrics = (run.report.attempt as { metrics: { name: string; verdict: string; evidence: { samples: number; max?: number; min?: number } }[] }).metrics;
    expect(metrics.map((m) => [m.name, m.verdict])).toEqual([
      ['5xx ratio', 'pass'],
      ['traffic', 'pass'],
    ]);
    expect(metrics[0]!.evidence.samples).toBeGreaterThanOrEqual(6);
    expect(metrics[0]!.evidence.max).toBe(0);
    expect(metrics[1]!.evidence.min).toBeGreaterThan(1);
    const body = gh.comments.find((c) => c.body.includes(`<!-- stagegate:deployment:${dep.id} -->`))!.body;
    expect(body).toMatch(/\| metric: 5xx ratio \| 0 \(\d+ samples\) \| ≤ 0\.05 \| ✅ pass \|/);
    expect(demo.release().version).toBe(healthyWs.sha);
  }, 90_000);

  test('an unhealthy release fails on its 5xx ratio and is rolled back to the previous SHA, reported', async () => {
    const dep = gh.addDeployment({ sha: badWs.sha, environment: 'production', payload: { pull_request: 7 } });
    const run = await runBundle({
      apiUrl: gh.apiUrl,
      workspace: badWs.dir,
      inputs: { token: 't0k', environment: 'production', sha: badWs.sha, 'deployment-id': String(dep.id), 'pull-request': '7' },
      env: env(badWs),
    });

    expect(gh.violations).toEqual([]);
    expect(run.exitCode).toBe(1);
    expect(run.outputs.result).toBe('rolled_back');
    expect(run.outputs['reason-code']).toBe('metrics-failed');
    expect(run.report.previousSha).toBe(healthyWs.sha);
    // The failed deployment is marked failure; a NEW deployment of the previous SHA succeeded.
    expect(gh.statesOf(dep.id)).toEqual(['in_progress', 'failure']);
    expect(gh.statusesOf(dep.id).at(-1)!.description).toMatch(/^failure: metrics-failed \(5xx ratio 0\.\d+ > 0\.05; rolling back to [0-9a-f]{7}\)$/);
    const rollback = gh.deployments.find((d) => d.payload.rollback_of === dep.id)!;
    expect(rollback.sha).toBe(healthyWs.sha);
    expect(gh.statesOf(rollback.id)).toEqual(['in_progress', 'success']);
    // What runs now is the previous release; the deploy script saw both deploys.
    expect(demo.release().version).toBe(healthyWs.sha);
    const deploys = await badWs.deploys();
    expect(deploys.map((d) => [d[1], d[4]])).toEqual([
      [badWs.sha, 'false'],
      [healthyWs.sha, 'true'],
    ]);
    expect(deploys[1]![2]).toBe(badWs.sha);
    // The observed ratio is in the report and the comment.
    const ratio = (run.report.attempt as { metrics: { name: string; verdict: string; evidence: { max?: number } }[] }).metrics[0]!;
    expect(ratio.verdict).toBe('fail');
    expect(ratio.evidence.max).toBeGreaterThan(0.05);
    const body = gh.comments.find((c) => c.body.includes(`<!-- stagegate:deployment:${dep.id} -->`))!.body;
    expect(body).toContain('rolled back to');
    expect(body).toMatch(/\| metric: 5xx ratio \| [^|]+ \| ≤ 0\.05 \| ❌ fail \|/);
    expect(body).toContain(`Rolled back the changes`);
    expect(body).toContain(`as deployment ${rollback.id}`);
  }, 90_000);
});
