import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runDeployment } from '../../src/deploy/run-deployment.js';
import { parseDeploymentPayload } from '../../src/protocol/deployment-payload.js';
import { MetricsUnavailableError } from '../../src/verify/metrics.js';
import { appDeployment, defaultStage, deps, FakeDeployGitHub, inputs, makeRepo, stagePolicy, thisRun, world, type Repo } from './world.js';

let repo: Repo;
const metrics = (checks: string, extra = ''): string => `  metrics:
    url: http://127.0.0.1:9
    window: 3m
    interval: 1m
${extra}    checks:
${checks}
`;
const RATIO = '      - { name: 5xx ratio, query: ratio, max: 0.01 }';
const stage = (extra = '') => stagePolicy(defaultStage(extra));
const withMetrics = (extra = '', tail = '') => stagePolicy(`${defaultStage(metrics(RATIO, extra))}${tail}`);

beforeAll(async () => {
  repo = await makeRepo();
});

afterAll(async () => {
  await repo.cleanup();
});

describe('runDeployment: success', () => {
  it('deploys with the STAGEGATE_* environment (no token, no OIDC request token), verifies, then sets success with the URL and comments', async () => {
    await writeFile(repo.log, '');
    const { gh, depId } = world(repo, withMetrics());
    const r = await runDeployment(inputs(depId, repo.sha), deps(gh, repo));
    expect([r.result, r.reasonCode]).toEqual(['success', 'ok']);
    expect(await repo.lines()).toEqual([`v2 ${repo.sha} ${repo.prev} ${depId} false  none no-oidc`]);
    expect(gh.statesOf(depId)).toEqual(['queued', 'in_progress', 'success']);
    const success = gh.statuses.filter((s) => s.deploymentId === depId).at(-1)!;
    expect(success.environmentUrl).toBe('https://staging.example.com');
    expect(success.logUrl).toBe('https://github.com/acme/shop/actions/runs/99');
    expect(success.description).toBe(`success: ok (verified ${repo.sha.slice(0, 7)})`);
    expect(r.pullRequest).toBe(12);
    expect(r.mode).toBe('dispatch');
    expect(r.compareUrl).toBe(`https://github.com/acme/shop/compare/${repo.prev}...${repo.sha}`);
    expect(gh.comments).toHaveLength(1);
    expect(gh.comments[0]).toMatchObject({ issue: 12, author: 'github-actions[bot]' });
    expect(gh.comments[0]!.body.startsWith(`<!-- stagegate:deployment:${depId} -->`)).toBe(true);
    expect(gh.comments[0]!.body).toContain('all checks passed');
    expect(r.attempt!.metrics[0]!.evidence.samples).toBe(3);
  });

  it('success is only set after verification: a failing smoke test means no success status at all', async () => {
    const s = stagePolicy(defaultStage().replace('{ name: ok, run: "true" }', '{ name: e2e, run: "echo boom; exit 4", retries: 1 }') + 'auto_rollback: false\n');
    const { gh, depId } = world(repo, s);
    const r = await runDeployment(inputs(depId, repo.sha), deps(gh, repo));
    expect([r.result, r.reasonCode]).toEqual(['failure', 'smoke-failed']);
    expect(gh.statesOf(depId)).toEqual(['queued', 'in_progress', 'failure']);
    expect(r.message).toBe('e2e: exit 4 (after 2 attempts)');
    expect(r.attempt!.smoke[0]!.evidence.outputTail).toBe('boom\n');
    expect(r.rollbackSkipped).toContain('auto_rollback is off');
  });

  it('a comment that cannot be written is a warning, not a change of result', async () => {
    const { gh, depId } = world(repo, stage());
    gh.failing.add('upsertComment');
    const r = await runDeployment(inputs(depId, repo.sha), deps(gh, repo));
    expect(r.result).toBe('success');
    expect(r.warnings.join()).toContain('could not write the comment on pull request #12');
  });

  it('when the success status cannot be recorded the result is not success', async () => {
    const { gh, depId } = world(repo, stage());
    const real = gh.createStatus.bind(gh);
    gh.createStatus = async (id, s) => {
      if (s.state === 'success') throw new Error('HTTP 502');
      return real(id, s);
    };
    const r = await runDeployment(inputs(depId, repo.sha), deps(gh, repo));
    expect([r.result, r.reasonCode]).toEqual(['failure', 'github-error']);
  });

  it('never adopts a comment someone else planted the marker in: its own report is a new comment', async () => {
    const { gh, depId } = world(repo, stage());
    const planted = gh.addComment(12, `<!-- stagegate:deployment:${depId} -->\nmallory's comment`, 'mallory');
    const r = await runDeployment(inputs(depId, repo.sha), deps(gh, repo));
    expect(r.result).toBe('success');
    expect(planted.body).toBe(`<!-- stagegate:deployment:${depId} -->\nmallory's comment`);
    expect(gh.comments.filter((c) => c.author === 'github-actions[bot]')).toHaveLength(1);
  });
});

describe('runDeployment: no self-loosening', () => {
  it('verifies with the approving policy in the payload, never with the deployed commit’s own stagegate.yml', async () => {
    // The promotion raised its own threshold to max: 1 in the commit under deployment.
    await mkdir(join(repo.dir, '.github'), { recursive: true });
    await writeFile(
      join(repo.dir, '.github', 'stagegate.yml'),
      `stages:\n  - name: staging\n    branch: staging\n    from: master\n    deploy: { command: ./deploy.sh }\n    verify:\n      metrics:\n        url: http://127.0.0.1:9\n        checks:\n          - { name: 5xx ratio, query: ratio, max: 1 }\n`,
    );
    const { gh, depId } = world(repo, withMetrics('', 'auto_rollback: false\n'));
    const r = await runDeployment(
      inputs(depId, repo.sha),
      deps(gh, repo, () => [{ labels: {}, value: 0.12 }]),
    );
    expect([r.result, r.reasonCode, r.message]).toEqual(['failure', 'metrics-failed', '5xx ratio 0.12 > 0.01']);
    expect(r.attempt!.metrics[0]!.threshold).toBe('≤ 0.01');
  });
});

describe('runDeployment: failures and rollback', () => {
  it('a metric above max fails and rolls back through a NEW deployment whose own code (its work tree) is deployed', async () => {
    await writeFile(repo.log, '');
    const { gh, depId, prevId } = world(repo, withMetrics());
    const r = await runDeployment(
      inputs(depId, repo.sha),
      deps(gh, repo, (_q, round) => [{ labels: {}, value: round === 0 ? 0.002 : 0.12 }]),
    );
    expect([r.result, r.reasonCode]).toEqual(['rolled_back', 'metrics-failed']);
    expect(r.message).toBe('5xx ratio 0.12 > 0.01');
    expect(gh.statesOf(depId)).toEqual(['queued', 'in_progress', 'failure']);
    expect(gh.statuses.filter((s) => s.deploymentId === depId).at(-1)!.description).toBe(`failure: metrics-failed (5xx ratio 0.12 > 0.01; rolling back to ${repo.prev.slice(0, 7)})`);
    const rollback = gh.deployments.at(-1)!;
    expect(rollback.sha).toBe(repo.prev);
    expect(parseDeploymentPayload(rollback.payload)).toEqual({
      kind: 'rollback',
      payload: { stagegate: 1, kind: 'rollback', rollback_of: depId, target_deployment: prevId, stage: 'staging', pull_request: 12 },
    });
    expect(gh.statesOf(rollback.id)).toEqual(['in_progress', 'success']);
    expect(r.rollback).toMatchObject({ fromSha: repo.sha, toSha: repo.prev, previousDeploymentId: prevId, succeeded: true });
    // The deploy command deploys its working directory: the rollback ran v1's code, not v2's again.
    expect(await repo.lines()).toEqual([`v2 ${repo.sha} ${repo.prev} ${depId} false  none no-oidc`, `v1 ${repo.prev} ${repo.sha} ${rollback.id} true ${depId} none no-oidc`]);
    expect((await gh.listDeployments('staging', 1))[0]!.id).toBe(rollback.id);
    expect(gh.comments[0]!.body).toContain(`rolled back to \`${repo.prev.slice(0, 7)}\``);
  });

  it('a configured rollback.command runs instead, in the rollback target’s work tree', async () => {
    await writeFile(repo.log, '');
    const s = stagePolicy(
      `${defaultStage().replace('{ name: ok, run: "true" }', '{ name: ok, run: "test \\"$(cat VERSION)\\" = 1" }')}rollback:\n  command: echo "rollback in $(cat VERSION) to $STAGEGATE_SHA" >> "$LOG"\n`,
    );
    const { gh, depId } = world(repo, s);
    const r = await runDeployment(inputs(depId, repo.sha), deps(gh, repo));
    // v2's smoke test fails (VERSION is 2); the rollback's passes in v1's work tree.
    expect([r.result, r.reasonCode]).toEqual(['rolled_back', 'smoke-failed']);
    expect((await repo.lines()).at(-1)).toBe(`rollback in 1 to ${repo.prev}`);
  });

  it('a failed deploy command is deploy-failed and rolls back', async () => {
    const s = stagePolicy(defaultStage().replace('command: ./deploy.sh', `command: 'if [ "$STAGEGATE_SHA" = "${repo.sha}" ]; then echo nope >&2; exit 2; fi'`));
    const { gh, depId } = world(repo, s);
    const r = await runDeployment(inputs(depId, repo.sha), deps(gh, repo));
    expect([r.result, r.reasonCode]).toEqual(['rolled_back', 'deploy-failed']);
    expect(r.attempt!.deploy!.outputTail).toBe('nope\n');
  });

  it('a deploy command that outlives its timeout is stopped with its whole process group', async () => {
    const marker = join(repo.dir, '..', `late-marker-${process.pid}`);
    const s = stagePolicy(`${defaultStage().replace('command: ./deploy.sh', `command: 'sleep 3 && touch ${marker}'`).replace('timeout: 30s', 'timeout: 1s')}auto_rollback: false\n`);
    const { gh, depId } = world(repo, s);
    const r = await runDeployment(inputs(depId, repo.sha), deps(gh, repo));
    expect([r.result, r.reasonCode]).toEqual(['failure', 'deploy-timeout']);
    expect(r.attempt!.deploy!.timedOut).toBe(true);
    await new Promise((res) => setTimeout(res, 3500));
    expect(existsSync(marker)).toBe(false);
  }, 15_000);

  it('no data fails by default; on_no_data: pass lets it through', async () => {
    let w = world(repo, withMetrics('', 'auto_rollback: false\n'));
    let r = await runDeployment(
      inputs(w.depId, repo.sha),
      deps(w.gh, repo, () => []),
    );
    expect([r.result, r.reasonCode, r.message]).toEqual(['failure', 'metrics-no-data', '5xx ratio: the query returned no data']);
    w = world(repo, withMetrics('    on_no_data: pass\n', 'auto_rollback: false\n'));
    r = await runDeployment(
      inputs(w.depId, repo.sha),
      deps(w.gh, repo, () => []),
    );
    expect([r.result, r.reasonCode]).toEqual(['success', 'ok']);
  });

  it('Prometheus unreachable is metrics-unavailable, never success', async () => {
    const { gh, depId } = world(repo, withMetrics('', 'auto_rollback: false\n'));
    const r = await runDeployment(
      inputs(depId, repo.sha),
      deps(gh, repo, () => new MetricsUnavailableError('connect ECONNREFUSED')),
    );
    expect([r.result, r.reasonCode]).toEqual(['failure', 'metrics-unavailable']);
    expect(gh.statesOf(depId)).not.toContain('success');
  });

  it('a success anyone could have posted is no rollback target: without a verified deployment there is nothing to roll back to', async () => {
    const s = stagePolicy(defaultStage().replace('{ name: ok, run: "true" }', '{ name: e2e, run: "exit 1" }'));
    const gh = new FakeDeployGitHub();
    gh.addDeployment({ sha: repo.prev, environment: 'staging', states: ['success'], by: null, creator: 'mallory' });
    const failedEarlier = appDeployment(gh, repo.older, s, { pr: 9 });
    gh.pushStatus(failedEarlier.id, { state: 'failure', description: 'failure: smoke-failed' }, 'github-actions[bot]');
    const dep = appDeployment(gh, repo.sha, s);
    thisRun(gh, dep);
    const d = deps(gh, repo);
    const r = await runDeployment(inputs(dep.id, repo.sha), d);
    expect([r.result, r.reasonCode]).toEqual(['failure', 'smoke-failed']);
    expect(r.rollbackSkipped).toBe('there is no earlier verified deployment in "staging" to roll back to');
    expect(d.logs.join('\n')).toContain('was created by mallory, not by the Stagegate app');
    expect(gh.deployments).toHaveLength(3);
  });

  it('a rollback whose smoke tests fail is rollback-failed and marks the rollback deployment failure', async () => {
    const { gh, depId } = world(repo, stagePolicy(defaultStage().replace('{ name: ok, run: "true" }', '{ name: e2e, run: "exit 1" }')));
    const r = await runDeployment(inputs(depId, repo.sha), deps(gh, repo));
    expect([r.result, r.reasonCode]).toEqual(['failure', 'rollback-failed']);
    const rollback = gh.deployments.at(-1)!;
    expect(gh.statesOf(rollback.id)).toEqual(['in_progress', 'failure']);
    expect(r.rollback!.succeeded).toBe(false);
    expect(r.message).toContain(`then the rollback to ${repo.prev.slice(0, 7)} failed: smoke-failed`);
    expect(gh.comments[0]!.body).toContain('ROLLBACK FAILED');
  });

  it('a rollback deployment GitHub refuses to create is rollback-failed', async () => {
    const { gh, depId } = world(repo, stagePolicy(defaultStage().replace('{ name: ok, run: "true" }', '{ name: e2e, run: "exit 1" }')));
    gh.failing.add('createDeployment');
    const r = await runDeployment(inputs(depId, repo.sha), deps(gh, repo));
    expect(r.reasonCode).toBe('rollback-failed');
    expect(r.rollback!.message).toContain('could not create the rollback deployment');
  });
});
