import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDeploymentPayload } from '../../src/protocol/deployment-payload.js';
import { dispatchInputs } from '../../src/protocol/dispatch.js';
import { parseValuesDescription } from '../../src/protocol/verification-values.js';
import { startDemoService, type DemoService } from '../../sandbox/services/demo-service.js';
import { appDeploys, actionRepo, deploysOf, descriptionsOf, dispatch, mergedPromotion, reportComments, startActionWorld, statesOf, userClient, valuesOf, type ActionWorld } from './action-world.js';
import { makeWorkspace, runBundle } from './harness.js';

// The committed bundle runs in real workflow runs of the sandbox (the one GitHub stand-in, every
// request and webhook checked against GitHub's descriptions), dispatched as the Stagegate app
// would dispatch them, against a real local HTTP service for the smoke tests.

let w: ActionWorld;
let demo: DemoService;
let tmp: string;
let failShas: string;

function stageYaml(opts: { autoRollback?: boolean; metricsUrl?: string; deploy?: string } = {}): string {
  const lines = [
    'name: staging',
    'branch: staging',
    'from: master',
    'deploy:',
    `  command: ${opts.deploy ?? 'bash ./deploy.sh'}`,
    '  timeout: 30s',
    '  url: https://staging.example.com',
    'verify:',
    '  smoke:',
    '    - name: health',
    `      url: ${demo.url}/healthz`,
    '      expect: { status: 200, body_contains: ok, json: { status: ok }, headers: { content-type: application/json } }',
    '      retries: 1',
    '      timeout: 5s',
    '    - name: deployed version',
    `      run: node ./http.mjs GET ${demo.url}/version "$STAGEGATE_SHA"`,
    '      timeout: 10s',
  ];
  if (opts.metricsUrl) {
    lines.push(
      '  metrics:',
      `    url: ${opts.metricsUrl}`,
      '    window: 2s',
      '    interval: 1s',
      '    checks:',
      '      - name: 5xx ratio',
      '        query: sum(rate(demo_http_requests_total{code=~"5.."}[5s]))',
      '        max: 0.01',
    );
  }
  lines.push(`auto_rollback: ${opts.autoRollback ?? true}`);
  return `${lines.join('\n')}\n`;
}

let repoCount = 0;
/** A fresh repository with one verified release deployed (the rollback target), as two real runs would leave it. */
async function withVerifiedRelease(): Promise<{ repo: string; first: { deploymentId: number; merge: string } }> {
  const repo = await actionRepo(w, `shop${++repoCount}`);
  const p = await mergedPromotion(w, repo, { 'release.txt': 'v1\n' });
  const { deploymentId, run } = await appDeploys(w, repo, p, stageYaml());
  expect(run.conclusion).toBe('success');
  return { repo, first: { deploymentId, merge: p.merge } };
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'stagegate-bundle-'));
  failShas = join(tmp, 'fail-shas');
  await writeFile(failShas, '');
  demo = await startDemoService();
  w = await startActionWorld({ DEMO_URL: demo.url, FAIL_SHAS: failShas });
}, 60_000);

afterAll(async () => {
  await w?.stop();
  await demo?.stop();
  await rm(tmp, { recursive: true, force: true });
});

describe('the bundled action in a run of the deploy workflow', () => {
  it('healthy deploy: deployment success with the environment URL, a comment whose checks all passed, outputs, summary', async () => {
    const { repo, first } = await withVerifiedRelease();
    const p = await mergedPromotion(w, repo, { 'release.txt': 'v2\n' });
    const { deploymentId, run } = await appDeploys(w, repo, p, stageYaml());

    expect(w.sb.violations).toEqual([]);
    expect(run.conclusion).toBe('success');
    expect([run.outputs.result, run.outputs['reason-code']]).toEqual(['success', 'ok']);
    const report = JSON.parse(run.outputs.report ?? '{}') as { previousSha: string; mode: string };
    expect(report).toMatchObject({ previousSha: first.merge, mode: 'dispatch' });
    expect(statesOf(w, repo, deploymentId)).toEqual(['queued', 'in_progress', 'success']);
    const final = w.sb.repo(repo).deployments.get(deploymentId)!.statuses.at(-1)!;
    expect(final.environmentUrl).toBe('https://staging.example.com');
    expect(final.logUrl).toBe(`${w.sb.url}/${repo}/actions/runs/${run.id}`);
    expect(final.description).toBe(`success: ok (verified ${p.merge.slice(0, 7)})`);
    expect(final.creator.login).toBe('github-actions[bot]');
    // Before it, each check's values, one status each in this run's name (the audit trail records them from there).
    const values = valuesOf(w, repo, deploymentId);
    expect(values.every((v) => v.state === 'in_progress' && v.logUrl === final.logUrl && v.creator === 'github-actions[bot]')).toBe(true);
    expect(values.map((v) => parseValuesDescription(v.description))).toEqual([
      { index: 1, total: 2, kind: 'http', name: 'health', verdict: 'pass', observed: 'HTTP 200', threshold: expect.stringContaining('status 200') },
      { index: 2, total: 2, kind: 'command', name: 'deployed version', verdict: 'pass', observed: 'exit 0', threshold: expect.any(String) },
    ]);

    // The deploy command got the STAGEGATE_* variables, not the token; it ran the release's own code.
    expect(deploysOf(run)).toEqual([['staging', p.merge, first.merge, String(deploymentId), 'false', 'no-token', 'release=v2']]);
    expect(demo.release().version).toBe(p.merge);

    // One comment on the promotion PR (named by the payload), by the workflow's own identity, upserted in place.
    const comments = reportComments(w, repo, p.pr, deploymentId);
    expect(comments).toHaveLength(1);
    expect(comments[0]!.author).toBe('github-actions[bot]');
    const body = comments[0]!.body;
    expect(body).toContain('all checks passed');
    expect(body).toContain('| smoke: health | HTTP 200 |');
    expect(body).toContain('| smoke (command): deployed version | exit 0 |');
    expect(body).not.toContain('❌');
    expect(body).toContain(`/${repo}/compare/${first.merge}...${p.merge}`);
    expect(body).toContain(`/${repo}/actions/runs/${run.id}`);
    expect([...body.matchAll(/^\|[^|]+\|[^|]+\|[^|]+\| (✅ pass|❌ fail) \|/gm)].map((m) => m[1])).toEqual(['✅ pass', '✅ pass', '✅ pass']);
    expect(run.summary).toContain('| smoke: health | HTTP 200 |');
    expect(run.summary).not.toContain('<!-- stagegate:');
  }, 120_000);

  it('the report is found beyond the first page of comments and updated in place; a planted marker in someone else’s comment is left alone', async () => {
    const { repo } = await withVerifiedRelease();
    const p = await mergedPromotion(w, repo, { 'release.txt': 'v2\n' });
    const r = w.sb.repo(repo);
    const mallory = w.sb.account('mallory');
    // The deployment id is the next one the sandbox gives out: plant the marker for it before the app creates it.
    for (let i = 0; i < 125; i++) await w.sb.addComment(r, p.pr, mallory, `comment ${i}`);
    const { deploymentId, run } = await appDeploys(w, repo, p, stageYaml());
    const planted = await w.sb.addComment(r, p.pr, mallory, `<!-- stagegate:deployment:${deploymentId} -->\nmallory was here`);
    // A second report for the same deployment (a re-run refused as already deployed) updates the Action's own comment.
    const again = await dispatch(w, w.app, repo, 'staging', dispatchInputs({ environment: 'staging', sha: p.merge, deploymentId, pullRequest: p.pr }));
    expect(run.outputs.result).toBe('success');
    expect(again.outputs['reason-code']).toBe('already-deployed');
    expect(planted.body).toBe(`<!-- stagegate:deployment:${deploymentId} -->\nmallory was here`);
    const ours = reportComments(w, repo, p.pr, deploymentId).filter((c) => c.author === 'github-actions[bot]');
    expect(ours).toHaveLength(1);
    expect(ours[0]!.body).toContain('already-deployed');
    // The refused re-run did not touch the deployment's verdict.
    expect(statesOf(w, repo, deploymentId)).toEqual(['queued', 'in_progress', 'success']);
  }, 120_000);

  it('a writer’s own deployment and dispatch is refused: not-approved, status error, nothing deployed', async () => {
    const { repo } = await withVerifiedRelease();
    const [owner, name] = repo.split('/') as [string, string];
    const mallory = userClient(w, 'mallory');
    const sha = await w.sb.push(repo, { branch: 'staging', files: { 'release.txt': 'unreviewed\n' }, message: 'sneak', author: 'mallory' });
    const { data } = await mallory.repos.createDeployment({
      owner,
      repo: name,
      ref: sha,
      environment: 'staging',
      auto_merge: false,
      required_contexts: [],
      payload: { stagegate: 1, kind: 'promotion', pull_request: 1 },
    });
    const id = (data as { id: number }).id;
    const run = await dispatch(w, mallory, repo, 'staging', dispatchInputs({ environment: 'staging', sha, deploymentId: id, pullRequest: 1 }));

    expect(w.sb.violations).toEqual([]);
    expect(run.conclusion).toBe('failure');
    expect([run.outputs.result, run.outputs['reason-code']]).toEqual(['failure', 'not-approved']);
    expect(deploysOf(run)).toEqual([]);
    expect(statesOf(w, repo, id)).toEqual(['error']);
    expect(descriptionsOf(w, repo, id)[0]).toMatch(/^failure: not-approved \(deployment \d+ was created by mallory, not by the Stagegate app/);
    expect(run.stdout).toContain('::error::');
  }, 120_000);

  it('a deployment the app created for another commit is refused (sha-mismatch): nothing deployed', async () => {
    const { repo } = await withVerifiedRelease();
    const p = await mergedPromotion(w, repo, { 'release.txt': 'v2\n' });
    const { deploymentId } = await appDeploys(w, repo, p, stageYaml());
    const other = await w.sb.push(repo, { branch: 'master', files: { 'release.txt': 'v3\n' }, message: 'v3', author: 'alice' });
    const run = await dispatch(w, w.app, repo, 'staging', dispatchInputs({ environment: 'staging', sha: other, deploymentId, pullRequest: p.pr }));
    expect(run.outputs['reason-code']).toBe('sha-mismatch');
    expect(JSON.parse(run.outputs.report ?? '{}').message).toContain('only the approved commit deploys');
    expect(deploysOf(run)).toEqual([]);
  }, 120_000);

  it('Prometheus down is never success (no rollback configured): failure, metrics-unavailable', async () => {
    const { repo } = await withVerifiedRelease();
    const p = await mergedPromotion(w, repo, { 'release.txt': 'v2\n' });
    const { deploymentId, run } = await appDeploys(w, repo, p, stageYaml({ autoRollback: false, metricsUrl: 'http://127.0.0.1:9' }));
    expect([run.conclusion, run.outputs.result, run.outputs['reason-code']]).toEqual(['failure', 'failure', 'metrics-unavailable']);
    expect(statesOf(w, repo, deploymentId)).toEqual(['queued', 'in_progress', 'failure']);
    expect(descriptionsOf(w, repo, deploymentId).at(-1)).toMatch(/^failure: metrics-unavailable \(5xx ratio: Prometheus at .* cannot be reached/);
    const body = reportComments(w, repo, p.pr, deploymentId)[0]!.body;
    expect(body).toContain('| metric: 5xx ratio | Prometheus unavailable | ≤ 0.01 | ❌ fail |');
    expect(body).toContain('auto_rollback is off');
  }, 120_000);

  it('a failed rollback is reported loudly: rollback-failed, both deployments failure', async () => {
    const { repo, first } = await withVerifiedRelease();
    const p = await mergedPromotion(w, repo, { 'release.txt': 'v2\n' });
    await writeFile(failShas, `${first.merge}\n`);
    const { deploymentId, run } = await appDeploys(w, repo, p, stageYaml({ metricsUrl: 'http://127.0.0.1:9' }));
    await writeFile(failShas, '');

    expect(w.sb.violations).toEqual([]);
    expect([run.conclusion, run.outputs.result, run.outputs['reason-code']]).toEqual(['failure', 'failure', 'rollback-failed']);
    expect(statesOf(w, repo, deploymentId)).toEqual(['queued', 'in_progress', 'failure']);
    const rollback = [...w.sb.repo(repo).deployments.values()].find((d) => parseDeploymentPayload(d.payload).kind === 'rollback')!;
    expect(rollback.sha).toBe(first.merge);
    expect(parseDeploymentPayload(rollback.payload)).toMatchObject({
      kind: 'rollback',
      payload: { rollback_of: deploymentId, target_deployment: first.deploymentId, stage: 'staging', pull_request: p.pr },
    });
    expect(rollback.creator.login).toBe('github-actions[bot]');
    expect(statesOf(w, repo, rollback.id)).toEqual(['in_progress', 'failure']);
    expect(descriptionsOf(w, repo, rollback.id).at(-1)).toMatch(/^failure: rollback-failed \(deploy-failed: rollback command: exit 3/);
    const body = reportComments(w, repo, p.pr, deploymentId)[0]!.body;
    expect(body).toContain('ROLLBACK FAILED');
    expect(body).toContain('image not found');
    expect(run.stdout).toMatch(/::error::stagegate: ROLLBACK FAILED/);
  }, 120_000);

  it('a cancelled job stops the deploy command it started; the deployment is left in_progress, never success', async () => {
    const { repo } = await withVerifiedRelease();
    const p = await mergedPromotion(w, repo, { 'release.txt': 'v2\n' });
    const marker = join(tmp, `late-${repoCount}`);
    const started = join(tmp, `started-${repoCount}`);
    const cancelled = appDeploys(w, repo, p, stageYaml({ deploy: `touch ${started}; sleep 3; touch ${marker}` }));
    await w.sb.waitFor(() => (existsSync(started) ? true : null), 60_000, 'the deploy command to start');
    const run = w.sb.runner.runs.find((r) => r.repo === repo && r.status !== 'completed')!;
    const [owner, name] = repo.split('/') as [string, string];
    await w.app.actions.cancelWorkflowRun({ owner, repo: name, run_id: run.id });
    const { deploymentId } = await cancelled;
    expect(run.conclusion).toBe('cancelled');
    expect(run.stdout).toContain('::error::stagegate: cancelled (SIGINT); stopped 1 running command(s)');
    await new Promise((r) => setTimeout(r, 3500));
    expect(existsSync(marker)).toBe(false);
    expect(statesOf(w, repo, deploymentId)).toEqual(['queued', 'in_progress']);
  }, 120_000);
});

describe('the bundled action as a process', () => {
  it('a missing required input fails with input-invalid and all three outputs, before any request', async () => {
    const ws = await makeWorkspace({});
    const run = await runBundle({ apiUrl: 'http://127.0.0.1:9/api/v3', workspace: ws.dir, inputs: { token: 't', app: 'stagegate', environment: 'staging', 'deployment-id': '1' } });
    await ws.cleanup();
    expect(run.exitCode).toBe(1);
    expect(run.outputs.result).toBe('failure');
    expect(run.outputs['reason-code']).toBe('input-invalid');
    expect(JSON.parse(run.outputs.report!).message).toBe('input sha is required');
  });
});
