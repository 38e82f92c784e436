import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { MockGitHub } from '../../action/testing/mock-github.js';
import { startDemoService, type DemoService } from '../../sandbox/services/demo-service.js';
import { makeWorkspace, randomSha, runBundle, type Workspace } from './harness.js';

// The committed bundle runs as a process with a runner's environment, against GitHub mocked at
// the HTTP edge (every request and response checked against GitHub's OpenAPI description) and a
// real local HTTP service for the smoke tests.

let gh: MockGitHub;
let demo: DemoService;
let ws: Workspace;
let closedPort: number;

function stageYaml(opts: { name?: string; autoRollback?: boolean; metricsUrl?: string; smoke?: boolean } = {}): string {
  const lines = [
    'stages:',
    `  - name: ${opts.name ?? 'staging'}`,
    '    branch: staging',
    '    from: master',
    '    deploy:',
    '      command: bash ./deploy.sh',
    '      timeout: 30s',
    '      url: https://staging.example.com',
    '    verify:',
    '      smoke:',
    '        - name: health',
    `          url: ${demo.url}/healthz`,
    '          expect: { status: 200, body_contains: ok, json: { status: ok }, headers: { content-type: application/json } }',
    '          retries: 1',
    '          timeout: 5s',
    '        - name: deployed version',
    `          run: node ./http.mjs GET ${demo.url}/version "$STAGEGATE_SHA"`,
    '          timeout: 10s',
  ];
  if (opts.metricsUrl) {
    lines.push(
      '      metrics:',
      `        url: ${opts.metricsUrl}`,
      '        window: 2s',
      '        interval: 1s',
      '        checks:',
      '          - name: 5xx ratio',
      '            query: sum(rate(demo_http_requests_total{code=~"5.."}[5s])) / sum(rate(demo_http_requests_total[5s]))',
      '            max: 0.01',
    );
  }
  lines.push(`    auto_rollback: ${opts.autoRollback ?? true}`);
  return `${lines.join('\n')}\n`;
}

async function closedLoopbackPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

const env = (): Record<string, string> => ({ DEPLOY_LOG: ws.deployLog, FAIL_SHAS: ws.failShas, DEMO_URL: demo.url });

beforeAll(async () => {
  gh = new MockGitHub();
  await gh.start();
  demo = await startDemoService();
  closedPort = await closedLoopbackPort();
  ws = await makeWorkspace({});
  // Config files are written after the commit would change HEAD, so commit them in the workspace.
  const files: Record<string, string> = {
    '.github/stagegate.yml': stageYaml(),
    'cfg/no-rollback-prom-down.yml': stageYaml({ autoRollback: false, metricsUrl: `http://127.0.0.1:${closedPort}` }),
    'cfg/prom-down.yml': stageYaml({ metricsUrl: `http://127.0.0.1:${closedPort}` }),
    'cfg/slow.yml': stageYaml().replace('command: bash ./deploy.sh', 'command: echo slow-deploy-started; sleep 3; touch "$DEPLOY_LOG.late"'),
    'cfg/extends.yml': '_extends: .github\nstages:\n  - name: staging\n    branch: staging\n    from: master\n    auto_rollback: false\n',
    'cfg/invalid.yml': 'stages:\n  - name: staging\n    branch: staging\n    from: master\n    deploy:\n      comand: ./deploy.sh\n',
  };
  await ws.cleanup();
  ws = await makeWorkspace(files);
}, 60_000);

afterAll(async () => {
  await gh?.stop();
  await demo?.stop();
  await ws?.cleanup();
});

function inputs(deploymentId: number, extra: Record<string, string> = {}): Record<string, string> {
  return { token: 'ghs_testtoken', environment: 'staging', sha: ws.sha, 'deployment-id': String(deploymentId), 'pull-request': '42', ...extra };
}

describe('the bundled action (node dist/index.js)', () => {
  test('healthy deploy: deployment success with the environment URL, a comment whose checks all passed, outputs, summary', async () => {
    const previous = gh.addDeployment({ sha: randomSha(), environment: 'staging', states: ['in_progress', 'success'] });
    const dep = gh.addDeployment({ sha: ws.sha, environment: 'staging', payload: { stage: 'staging', pull_request: 42 } });
    const run = await runBundle({ apiUrl: gh.apiUrl, workspace: ws.dir, inputs: inputs(dep.id, { 'pull-request': '' }), env: env() });

    expect(gh.violations).toEqual([]);
    expect(run.exitCode).toBe(0);
    expect(run.outputs.result).toBe('success');
    expect(run.outputs['reason-code']).toBe('ok');
    expect(run.report.result).toBe('success');
    expect(run.report.previousSha).toBe(previous.sha);
    expect(gh.statesOf(dep.id)).toEqual(['in_progress', 'success']);
    const final = gh.statusesOf(dep.id).at(-1)!;
    expect(final.environment_url).toBe('https://staging.example.com');
    expect(final.log_url).toBe('https://github.com/acme/shop/actions/runs/777');
    expect(final.description.startsWith('success: ok')).toBe(true);

    // The deploy command got the STAGEGATE_* variables and not the token.
    expect(await ws.deploys()).toEqual([['staging', ws.sha, previous.sha, String(dep.id), 'false', 'no-token']]);
    expect(run.stdout).toContain(`deploying ${ws.sha} to staging`);
    expect(demo.release().version).toBe(ws.sha);

    // One comment on PR 42 (found through the deployment payload), upserted in place.
    const comments = gh.comments.filter((c) => c.issue_number === 42 && c.body.includes(`<!-- stagegate:deployment:${dep.id} -->`));
    expect(comments).toHaveLength(1);
    const body = comments[0]!.body;
    expect(body).toContain('all checks passed');
    expect(body).toContain('| smoke: health | HTTP 200 |');
    expect(body).toContain('| smoke (command): deployed version | exit 0 |');
    expect(body).not.toContain('❌');
    expect(body).toContain(`https://github.com/acme/shop/compare/${previous.sha}...${ws.sha}`);
    expect(body).toContain('https://github.com/acme/shop/actions/runs/777');
    const verdicts = [...body.matchAll(/^\|[^|]+\|[^|]+\|[^|]+\| (✅ pass|❌ fail) \|/gm)].map((m) => m[1]);
    expect(verdicts).toEqual(['✅ pass', '✅ pass', '✅ pass']);
    const patched = gh.requests.filter((r) => r.operationId === 'issues/update-comment');
    expect(patched).toHaveLength(1);
    // The job summary holds the same table, without the marker.
    expect(run.summary).toContain('| smoke: health | HTTP 200 |');
    expect(run.summary).not.toContain('<!-- stagegate:');
  });

  test('the comment is found by its marker beyond the first page of comments and updated in place', async () => {
    const dep = gh.addDeployment({ sha: ws.sha, environment: 'staging', payload: { pull_request: 99 } });
    for (let i = 0; i < 130; i++) gh.addComment(99, i === 120 ? `<!-- stagegate:deployment:${dep.id} -->\nold report` : `comment ${i}`);
    const run = await runBundle({ apiUrl: gh.apiUrl, workspace: ws.dir, inputs: inputs(dep.id, { 'pull-request': '99' }), env: env() });
    expect(gh.violations).toEqual([]);
    expect(run.outputs.result).toBe('success');
    const ours = gh.comments.filter((c) => c.issue_number === 99 && c.body.includes(`<!-- stagegate:deployment:${dep.id} -->`));
    expect(ours).toHaveLength(1);
    expect(ours[0]!.body).toContain('all checks passed');
    expect(gh.comments.filter((c) => c.issue_number === 99)).toHaveLength(130);
  });

  test('a deployment for another commit is refused: status error, nothing deployed', async () => {
    const otherSha = randomSha();
    const dep = gh.addDeployment({ sha: otherSha, environment: 'staging', payload: { pull_request: 42 } });
    const before = (await ws.deploys()).length;
    const run = await runBundle({ apiUrl: gh.apiUrl, workspace: ws.dir, inputs: inputs(dep.id), env: env() });

    expect(gh.violations).toEqual([]);
    expect(run.exitCode).toBe(1);
    expect(run.outputs.result).toBe('failure');
    expect(run.outputs['reason-code']).toBe('sha-mismatch');
    expect(gh.statesOf(dep.id)).toEqual(['error']);
    expect(gh.statusesOf(dep.id)[0]!.description).toMatch(/^failure: sha-mismatch \(deployment \d+ is for /);
    expect((await ws.deploys()).length).toBe(before);
    expect(run.stdout).toContain('::error::');
    expect(run.report.message).toContain('only the approved commit deploys');
  });

  test('a checkout of another commit is refused even when the deployment matches the input', async () => {
    const sha = randomSha();
    const dep = gh.addDeployment({ sha, environment: 'staging' });
    const run = await runBundle({ apiUrl: gh.apiUrl, workspace: ws.dir, inputs: inputs(dep.id, { sha }), env: env() });
    expect(gh.violations).toEqual([]);
    expect(run.outputs['reason-code']).toBe('sha-mismatch');
    expect(run.report.message).toContain('the workspace has');
    expect(gh.statesOf(dep.id)).toEqual(['error']);
  });

  test('Prometheus down is never success (no rollback configured): failure, metrics-unavailable', async () => {
    gh.addDeployment({ sha: randomSha(), environment: 'staging', states: ['success'] });
    const dep = gh.addDeployment({ sha: ws.sha, environment: 'staging', payload: { pull_request: 42 } });
    const run = await runBundle({ apiUrl: gh.apiUrl, workspace: ws.dir, inputs: inputs(dep.id, { config: 'cfg/no-rollback-prom-down.yml' }), env: env() });

    expect(gh.violations).toEqual([]);
    expect(run.exitCode).toBe(1);
    expect(run.outputs.result).toBe('failure');
    expect(run.outputs['reason-code']).toBe('metrics-unavailable');
    expect(gh.statesOf(dep.id)).toEqual(['in_progress', 'failure']);
    expect(gh.statusesOf(dep.id).at(-1)!.description).toMatch(/^failure: metrics-unavailable \(5xx ratio: Prometheus at .* cannot be reached/);
    const body = gh.comments.find((c) => c.body.includes(`<!-- stagegate:deployment:${dep.id} -->`))!.body;
    expect(body).toContain('| metric: 5xx ratio | Prometheus unavailable | ≤ 0.01 | ❌ fail |');
    expect(body).toContain('auto_rollback is off');
  });

  test('a failed rollback is reported loudly: rollback-failed, both deployments failure', async () => {
    const previous = gh.addDeployment({ sha: randomSha(), environment: 'staging', states: ['success'] });
    await writeFile(ws.failShas, `${previous.sha}\n`);
    const dep = gh.addDeployment({ sha: ws.sha, environment: 'staging', payload: { pull_request: 42 } });
    const run = await runBundle({ apiUrl: gh.apiUrl, workspace: ws.dir, inputs: inputs(dep.id, { config: 'cfg/prom-down.yml' }), env: env() });
    await writeFile(ws.failShas, '');

    expect(gh.violations).toEqual([]);
    expect(run.exitCode).toBe(1);
    expect(run.outputs.result).toBe('failure');
    expect(run.outputs['reason-code']).toBe('rollback-failed');
    expect(gh.statesOf(dep.id)).toEqual(['in_progress', 'failure']);
    const rollback = gh.deployments.find((d) => d.payload.rollback_of === dep.id)!;
    expect(rollback.sha).toBe(previous.sha);
    expect(rollback.environment).toBe('staging');
    expect(rollback.payload).toEqual({ rollback_of: dep.id, stage: 'staging', pull_request: 42 });
    expect(gh.statesOf(rollback.id)).toEqual(['in_progress', 'failure']);
    expect(gh.statusesOf(rollback.id).at(-1)!.description).toMatch(/^failure: rollback-failed \(deploy-failed: deploy command: exit 3/);
    const body = gh.comments.find((c) => c.body.includes(`<!-- stagegate:deployment:${dep.id} -->`))!.body;
    expect(body).toContain('ROLLBACK FAILED');
    expect(body).toContain('image not found');
    expect(run.stdout).toMatch(/::error::stagegate: ROLLBACK FAILED/);
  });

  test('invalid configuration: config-invalid naming file:line:key, status error, nothing deployed', async () => {
    const dep = gh.addDeployment({ sha: ws.sha, environment: 'staging' });
    const before = (await ws.deploys()).length;
    const run = await runBundle({ apiUrl: gh.apiUrl, workspace: ws.dir, inputs: inputs(dep.id, { config: 'cfg/invalid.yml' }), env: env() });
    expect(gh.violations).toEqual([]);
    expect(run.outputs['reason-code']).toBe('config-invalid');
    expect(run.report.message).toContain('cfg/invalid.yml:6:7: stages[0].deploy.comand: unknown key "comand" (did you mean "command"?)');
    expect(gh.statesOf(dep.id)).toEqual(['error']);
    expect((await ws.deploys()).length).toBe(before);
  });

  test('_extends: the org defaults are read through the GitHub contents API and merged', async () => {
    gh.files.set('acme/.github:.github/stagegate.yml', stageYaml().replace('auto_rollback: true', 'auto_rollback: true'));
    const dep = gh.addDeployment({ sha: ws.sha, environment: 'staging', payload: { pull_request: 42 } });
    const run = await runBundle({ apiUrl: gh.apiUrl, workspace: ws.dir, inputs: inputs(dep.id, { config: 'cfg/extends.yml' }), env: env() });
    expect(gh.violations).toEqual([]);
    expect([run.outputs.result, run.outputs['reason-code']]).toEqual(['success', 'ok']);
    expect(gh.requests.some((r) => r.operationId === 'repos/get-content' && decodeURIComponent(r.path) === '/repos/acme/.github/contents/.github/stagegate.yml')).toBe(true);
    expect((run.report.attempt as { smoke: unknown[] }).smoke).toHaveLength(2);
  });

  test('_extends naming a repository that cannot be read is config-invalid', async () => {
    gh.files.clear();
    const dep = gh.addDeployment({ sha: ws.sha, environment: 'staging' });
    const run = await runBundle({ apiUrl: gh.apiUrl, workspace: ws.dir, inputs: inputs(dep.id, { config: 'cfg/extends.yml' }), env: env() });
    expect(gh.violations).toEqual([]);
    expect(run.outputs['reason-code']).toBe('config-invalid');
    expect(run.report.message).toBe('cfg/extends.yml:1:11: _extends: acme/.github:.github/stagegate.yml does not exist or is not readable by the app');
    expect(gh.statesOf(dep.id)).toEqual(['error']);
  });

  test('dry run: validates, then changes nothing on GitHub and runs nothing', async () => {
    const dep = gh.addDeployment({ sha: ws.sha, environment: 'staging', payload: { pull_request: 42 } });
    const writesBefore = gh.requests.filter((r) => r.method !== 'GET').length;
    const before = (await ws.deploys()).length;
    const run = await runBundle({ apiUrl: gh.apiUrl, workspace: ws.dir, inputs: inputs(dep.id, { 'dry-run': 'true' }), env: env() });
    expect(gh.violations).toEqual([]);
    expect(run.exitCode).toBe(0);
    expect(run.outputs.result).toBe('success');
    expect(run.outputs['reason-code']).toBe('dry-run');
    expect(gh.requests.filter((r) => r.method !== 'GET').length).toBe(writesBefore);
    expect((await ws.deploys()).length).toBe(before);
  });

  test('a cancelled job (SIGTERM) stops the deploy command it started', async () => {
    const dep = gh.addDeployment({ sha: ws.sha, environment: 'staging' });
    const run = await runBundle({
      apiUrl: gh.apiUrl,
      workspace: ws.dir,
      inputs: inputs(dep.id, { config: 'cfg/slow.yml' }),
      env: env(),
      cancel: { whenStdoutHas: 'slow-deploy-started', signal: 'SIGTERM' },
    });
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain('::error::stagegate: cancelled (SIGTERM); stopped 1 running command(s)');
    await new Promise((r) => setTimeout(r, 3500));
    expect(existsSync(`${ws.deployLog}.late`)).toBe(false);
    expect(gh.statesOf(dep.id)).toEqual(['in_progress']);
  }, 30_000);

  test('a missing required input fails with input-invalid and all three outputs', async () => {
    const run = await runBundle({ apiUrl: gh.apiUrl, workspace: ws.dir, inputs: { token: 't', environment: 'staging', 'deployment-id': '1' }, env: env() });
    expect(run.exitCode).toBe(1);
    expect(run.outputs.result).toBe('failure');
    expect(run.outputs['reason-code']).toBe('input-invalid');
    expect(JSON.parse(run.outputs.report!).message).toBe('input sha is required');
  });
});
