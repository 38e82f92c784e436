import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeDeployGitHub } from '../../src/deploy/fake-github.js';
import { findPreviousSuccessful, runDeployment, type DeploymentDeps, type DeploymentInputs } from '../../src/deploy/run-deployment.js';
import { FakeMetricsSource, MetricsUnavailableError, type MetricSample } from '../../src/verify/metrics.js';

const SHA = 'a'.repeat(40);
const PREV = 'b'.repeat(40);
const OLDER = 'c'.repeat(40);

let ws: string;
let logFile: string;

function stage(extra: { deploy?: string; timeout?: string; metrics?: string; smoke?: string; autoRollback?: boolean } = {}): string {
  return `stages:
  - name: staging
    branch: staging
    from: master
    deploy:
      command: ${extra.deploy ?? `echo "$STAGEGATE_SHA $STAGEGATE_PREVIOUS_SHA $STAGEGATE_DEPLOYMENT_ID $STAGEGATE_ROLLBACK $STAGEGATE_ROLLBACK_OF \${INPUT_TOKEN:-none}" >> ${'${LOG}'}`}
      timeout: ${extra.timeout ?? '30s'}
      url: https://staging.example.com
    verify:
      smoke:
${extra.smoke ?? '        - { name: ok, run: "true" }'}
${extra.metrics ?? ''}
    auto_rollback: ${extra.autoRollback ?? true}
`;
}

const metricsYaml = (checks: string, extra = ''): string => `      metrics:
        url: http://127.0.0.1:9
        window: 3m
        interval: 1m
${extra}        checks:
${checks}`;

const RATIO = '          - { name: 5xx ratio, query: ratio, max: 0.01 }';

async function setup(configText: string, file = '.github/stagegate.yml'): Promise<void> {
  await mkdir(join(ws, '.github'), { recursive: true });
  await writeFile(join(ws, file), configText);
  await rm(logFile, { force: true });
}

function fakeClock(): { sleep: (ms: number) => Promise<void>; now: () => number } {
  let t = Date.parse('2026-05-01T12:00:00Z');
  return { sleep: async (ms) => void (t += ms), now: () => t };
}

function deps(gh: FakeDeployGitHub, metrics?: (q: string, round: number) => MetricSample[] | Error, extra: Partial<DeploymentDeps> = {}): DeploymentDeps & { logs: string[] } {
  const logs: string[] = [];
  const clock = fakeClock();
  return {
    github: gh,
    repository: 'acme/shop',
    workspace: ws,
    serverUrl: 'https://github.com',
    runId: '99',
    env: { PATH: process.env.PATH, LOG: logFile, INPUT_TOKEN: 'secret-token' },
    log: { info: (m) => logs.push(`info ${m}`), warning: (m) => logs.push(`warning ${m}`), error: (m) => logs.push(`error ${m}`) },
    metricsSource: () => new FakeMetricsSource(metrics ?? (() => [{ labels: {}, value: 0 }])),
    smokeBackoffMs: 1,
    ...clock,
    logs,
    ...extra,
  };
}

const inputs = (deploymentId: number, extra: Partial<DeploymentInputs> = {}): DeploymentInputs => ({
  environment: 'staging',
  sha: SHA,
  deploymentId: String(deploymentId),
  pullRequest: '',
  config: '.github/stagegate.yml',
  dryRun: false,
  ...extra,
});

async function deployLog(): Promise<string[]> {
  return existsSync(logFile) ? (await readFile(logFile, 'utf8')).trim().split('\n') : [];
}

function world(): { gh: FakeDeployGitHub; prevId: number; depId: number } {
  const gh = new FakeDeployGitHub();
  gh.addDeployment({ sha: OLDER, environment: 'staging', states: ['success', 'inactive'] });
  const prev = gh.addDeployment({ sha: PREV, environment: 'staging', states: ['in_progress', 'success'] });
  gh.addDeployment({ sha: OLDER, environment: 'production', states: ['success'] });
  const dep = gh.addDeployment({ sha: SHA, environment: 'staging', payload: { pull_request: 12, stage: 'staging' } });
  return { gh, prevId: prev.id, depId: dep.id };
}

beforeAll(async () => {
  ws = await mkdtemp(join(tmpdir(), 'stagegate-core-'));
  logFile = join(ws, '..', `${ws.split('/').pop()}.log`);
});

afterAll(async () => {
  await rm(ws, { recursive: true, force: true });
  await rm(logFile, { force: true });
});

describe('runDeployment: success', () => {
  test('deploys with the STAGEGATE_* environment (no token), verifies, then sets success with the URL and comments', async () => {
    await setup(stage({ metrics: metricsYaml(RATIO) }));
    const { gh, depId } = world();
    const r = await runDeployment(inputs(depId), deps(gh));
    expect([r.result, r.reasonCode]).toEqual(['success', 'ok']);
    expect(await deployLog()).toEqual([`${SHA} ${PREV} ${depId} false  none`]);
    expect(gh.statesOf(depId)).toEqual(['in_progress', 'success']);
    const success = gh.statuses.filter((s) => s.deploymentId === depId).at(-1)!;
    expect(success.environmentUrl).toBe('https://staging.example.com');
    expect(success.logUrl).toBe('https://github.com/acme/shop/actions/runs/99');
    expect(r.pullRequest).toBe(12);
    expect(r.compareUrl).toBe(`https://github.com/acme/shop/compare/${PREV}...${SHA}`);
    expect(gh.comments).toHaveLength(1);
    expect(gh.comments[0]!.issue).toBe(12);
    expect(gh.comments[0]!.body.startsWith(`<!-- stagegate:deployment:${depId} -->`)).toBe(true);
    expect(gh.comments[0]!.body).toContain('all checks passed');
    expect(r.attempt!.metrics[0]!.evidence.samples).toBe(3);
  });

  test('success is only set after verification: a failing smoke test means no success status at all', async () => {
    await setup(stage({ smoke: '        - { name: e2e, run: "echo boom; exit 4", retries: 1 }', autoRollback: false }));
    const { gh, depId } = world();
    const r = await runDeployment(inputs(depId), deps(gh));
    expect([r.result, r.reasonCode]).toEqual(['failure', 'smoke-failed']);
    expect(gh.statesOf(depId)).toEqual(['in_progress', 'failure']);
    expect(r.message).toBe('e2e: exit 4 (after 2 attempts)');
    expect(r.attempt!.smoke[0]!.evidence.outputTail).toBe('boom\n');
    expect(r.rollbackSkipped).toContain('auto_rollback is off');
  });

  test('a comment that cannot be written is a warning, not a change of result', async () => {
    await setup(stage());
    const { gh, depId } = world();
    gh.failing.add('upsertComment');
    const r = await runDeployment(inputs(depId), deps(gh));
    expect(r.result).toBe('success');
    expect(r.warnings.join()).toContain('could not write the comment on pull request #12');
  });

  test('when the success status cannot be recorded the result is not success', async () => {
    await setup(stage());
    const { gh, depId } = world();
    const d = deps(gh);
    const real = gh.createStatus.bind(gh);
    gh.createStatus = async (id, s) => {
      if (s.state === 'success') throw new Error('HTTP 502');
      return real(id, s);
    };
    const r = await runDeployment(inputs(depId), d);
    expect([r.result, r.reasonCode]).toEqual(['failure', 'github-error']);
  });
});

describe('runDeployment: refusals', () => {
  test('a deployment of another commit is refused with status error, and nothing runs', async () => {
    await setup(stage());
    const gh = new FakeDeployGitHub();
    const dep = gh.addDeployment({ sha: PREV, environment: 'staging' });
    const r = await runDeployment(inputs(dep.id), deps(gh));
    expect([r.result, r.reasonCode]).toEqual(['failure', 'sha-mismatch']);
    expect(gh.statesOf(dep.id)).toEqual(['error']);
    expect(gh.statuses[0]!.description).toMatch(/^failure: sha-mismatch \(deployment \d+ is for bbbbbbbbbbbb, not the approved aaaaaaaaaaaa/);
    expect(await deployLog()).toEqual([]);
  });

  test('a deployment whose ref is a branch, not the approved SHA, is refused', async () => {
    await setup(stage());
    const gh = new FakeDeployGitHub();
    const dep = gh.addDeployment({ sha: SHA, ref: 'staging', environment: 'staging' });
    const r = await runDeployment(inputs(dep.id), deps(gh));
    expect(r.reasonCode).toBe('sha-mismatch');
    expect(r.message).toContain('has ref "staging", not the approved commit aaaaaaaaaaaa');
    expect(await deployLog()).toEqual([]);
  });

  test('a deployment for another environment is refused', async () => {
    await setup(stage());
    const gh = new FakeDeployGitHub();
    const dep = gh.addDeployment({ sha: SHA, environment: 'production' });
    const r = await runDeployment(inputs(dep.id), deps(gh));
    expect(r.reasonCode).toBe('sha-mismatch');
    expect(r.message).toContain('it targets environment "production", not "staging"');
  });

  test('a checkout of another commit is refused', async () => {
    await setup(stage());
    const { gh, depId } = world();
    const r = await runDeployment(inputs(depId), deps(gh, undefined, { checkoutSha: async () => PREV }));
    expect(r.reasonCode).toBe('sha-mismatch');
    expect(await deployLog()).toEqual([]);
  });

  test('a short SHA is an invalid input', async () => {
    await setup(stage());
    const { gh, depId } = world();
    const r = await runDeployment(inputs(depId, { sha: 'abc1234' }), deps(gh));
    expect(r.reasonCode).toBe('input-invalid');
    expect(gh.statesOf(depId)).toEqual(['error']);
  });

  test('an unknown deployment is deployment-not-found and sets no status', async () => {
    await setup(stage());
    const gh = new FakeDeployGitHub();
    const r = await runDeployment(inputs(4242), deps(gh));
    expect(r.reasonCode).toBe('deployment-not-found');
    expect(gh.statuses).toEqual([]);
  });

  test('GitHub failing to answer is github-error, never success', async () => {
    await setup(stage());
    const { gh, depId } = world();
    gh.failing.add('getDeployment');
    const r = await runDeployment(inputs(depId), deps(gh));
    expect([r.result, r.reasonCode]).toEqual(['failure', 'github-error']);
  });

  test('invalid configuration names file:line:key; a missing stage or file is config-invalid too', async () => {
    const { gh, depId } = world();
    await setup('stages:\n  - name: staging\n    branch: staging\n    from: master\n    deploy: { command: x, timout: 5s }\n');
    let r = await runDeployment(inputs(depId), deps(gh));
    expect(r.reasonCode).toBe('config-invalid');
    expect(r.message).toContain('.github/stagegate.yml:5:');
    expect(r.message).toContain('stages[0].deploy.timout: unknown key "timout" (did you mean "timeout"?)');
    expect(gh.statesOf(depId)).toEqual(['error']);

    await setup(stage().replace('name: staging', 'name: qa'));
    r = await runDeployment(inputs(depId), deps(gh));
    expect(r.message).toBe('.github/stagegate.yml: no stage is named "staging" (stages: qa)');

    r = await runDeployment(inputs(depId, { config: 'nope.yml' }), deps(gh));
    expect([r.reasonCode, r.message]).toEqual(['config-invalid', 'nope.yml does not exist in the checkout']);
  });

  test('dry run validates and changes nothing', async () => {
    await setup(stage());
    const { gh, depId } = world();
    const statuses = gh.statuses.length;
    const r = await runDeployment(inputs(depId, { dryRun: true }), deps(gh));
    expect([r.result, r.reasonCode]).toEqual(['success', 'dry-run']);
    expect(gh.statuses.length).toBe(statuses);
    expect(gh.comments).toEqual([]);
    expect(await deployLog()).toEqual([]);
  });
});

describe('runDeployment: failures and rollback', () => {
  test('a metric above max fails and rolls back through a NEW deployment of the previous SHA', async () => {
    await setup(stage({ metrics: metricsYaml(RATIO) }));
    const { gh, depId, prevId } = world();
    const r = await runDeployment(
      inputs(depId),
      deps(gh, (_q, round) => [{ labels: {}, value: round === 0 ? 0.002 : 0.12 }]),
    );
    expect([r.result, r.reasonCode]).toEqual(['rolled_back', 'metrics-failed']);
    expect(r.message).toBe('5xx ratio 0.12 > 0.01');
    expect(gh.statesOf(depId)).toEqual(['in_progress', 'failure']);
    expect(gh.statuses.filter((s) => s.deploymentId === depId).at(-1)!.description).toBe('failure: metrics-failed (5xx ratio 0.12 > 0.01; rolling back to bbbbbbb)');
    const rollback = gh.deployments.at(-1)!;
    expect(rollback.sha).toBe(PREV);
    expect(rollback.payload).toEqual({ rollback_of: depId, stage: 'staging', pull_request: 12 });
    expect(gh.statesOf(rollback.id)).toEqual(['in_progress', 'success']);
    expect(r.rollback).toMatchObject({ fromSha: SHA, toSha: PREV, previousDeploymentId: prevId, succeeded: true });
    // The same command ran for the rollback, told it is one.
    expect(await deployLog()).toEqual([`${SHA} ${PREV} ${depId} false  none`, `${PREV} ${SHA} ${rollback.id} true ${depId} none`]);
    // The newest deployment in the environment is now the successful rollback.
    expect((await gh.listDeployments('staging', 1))[0]!.id).toBe(rollback.id);
    expect(gh.comments[0]!.body).toContain('rolled back to `bbbbbbb`');
  });

  test('a failed deploy command is deploy-failed and rolls back', async () => {
    await setup(stage({ deploy: `'if [ "$STAGEGATE_SHA" = "${SHA}" ]; then echo nope >&2; exit 2; fi'` }));
    const { gh, depId } = world();
    const r = await runDeployment(inputs(depId), deps(gh));
    expect([r.result, r.reasonCode]).toEqual(['rolled_back', 'deploy-failed']);
    expect(r.attempt!.deploy!.outputTail).toBe('nope\n');
  });

  test('a deploy command that outlives its timeout is stopped with its whole process group', async () => {
    const marker = join(ws, 'late-marker');
    await setup(stage({ deploy: `'sleep 3 && touch ${marker}'`, timeout: '1s', autoRollback: false }));
    const { gh, depId } = world();
    const r = await runDeployment(inputs(depId), deps(gh));
    expect([r.result, r.reasonCode]).toEqual(['failure', 'deploy-timeout']);
    expect(r.attempt!.deploy!.timedOut).toBe(true);
    await new Promise((res) => setTimeout(res, 3500));
    expect(existsSync(marker)).toBe(false);
  }, 15_000);

  test('no data fails by default; on_no_data: pass lets it through', async () => {
    await setup(stage({ metrics: metricsYaml(RATIO), autoRollback: false }));
    let w = world();
    let r = await runDeployment(
      inputs(w.depId),
      deps(w.gh, () => []),
    );
    expect([r.result, r.reasonCode, r.message]).toEqual(['failure', 'metrics-no-data', '5xx ratio: the query returned no data']);

    await setup(stage({ metrics: metricsYaml(RATIO, '        on_no_data: pass\n'), autoRollback: false }));
    w = world();
    r = await runDeployment(
      inputs(w.depId),
      deps(w.gh, () => []),
    );
    expect([r.result, r.reasonCode]).toEqual(['success', 'ok']);
  });

  test('Prometheus unreachable is metrics-unavailable, never success', async () => {
    await setup(stage({ metrics: metricsYaml(RATIO), autoRollback: false }));
    const { gh, depId } = world();
    const r = await runDeployment(
      inputs(depId),
      deps(gh, () => new MetricsUnavailableError('connect ECONNREFUSED')),
    );
    expect([r.result, r.reasonCode]).toEqual(['failure', 'metrics-unavailable']);
    expect(gh.statesOf(depId)).not.toContain('success');
  });

  test('without an earlier successful deployment there is nothing to roll back to', async () => {
    await setup(stage({ smoke: '        - { name: e2e, run: "exit 1" }' }));
    const gh = new FakeDeployGitHub();
    gh.addDeployment({ sha: PREV, environment: 'staging', states: ['failure'] });
    const dep = gh.addDeployment({ sha: SHA, environment: 'staging' });
    const r = await runDeployment(inputs(dep.id), deps(gh));
    expect([r.result, r.reasonCode]).toEqual(['failure', 'smoke-failed']);
    expect(r.rollbackSkipped).toBe('there is no earlier successful deployment in "staging" to roll back to');
    expect(gh.deployments).toHaveLength(2);
  });

  test('a rollback whose smoke tests fail is rollback-failed and marks the rollback deployment failure', async () => {
    await setup(stage({ smoke: '        - { name: e2e, run: "exit 1" }' }));
    const { gh, depId } = world();
    const r = await runDeployment(inputs(depId), deps(gh));
    expect([r.result, r.reasonCode]).toEqual(['failure', 'rollback-failed']);
    const rollback = gh.deployments.at(-1)!;
    expect(gh.statesOf(rollback.id)).toEqual(['in_progress', 'failure']);
    expect(r.rollback!.succeeded).toBe(false);
    expect(r.message).toContain('then the rollback to bbbbbbb failed: smoke-failed');
    expect(gh.comments[0]!.body).toContain('ROLLBACK FAILED');
  });

  test('a rollback deployment GitHub refuses to create is rollback-failed', async () => {
    await setup(stage({ smoke: '        - { name: e2e, run: "exit 1" }' }));
    const { gh, depId } = world();
    gh.failing.add('createDeployment');
    const r = await runDeployment(inputs(depId), deps(gh));
    expect(r.reasonCode).toBe('rollback-failed');
    expect(r.rollback!.message).toContain('could not create the rollback deployment');
  });
});

describe('findPreviousSuccessful', () => {
  test('is the newest EARLIER deployment whose latest status is success', async () => {
    const gh = new FakeDeployGitHub();
    gh.addDeployment({ sha: OLDER, environment: 'staging', states: ['success'] });
    const good = gh.addDeployment({ sha: PREV, environment: 'staging', states: ['success'] });
    gh.addDeployment({ sha: OLDER, environment: 'staging', states: ['success', 'failure'] });
    gh.addDeployment({ sha: OLDER, environment: 'staging', states: ['in_progress'] });
    gh.addDeployment({ sha: OLDER, environment: 'production', states: ['success'] });
    const current = gh.addDeployment({ sha: SHA, environment: 'staging' });
    gh.addDeployment({ sha: OLDER, environment: 'staging', states: ['success'] });
    expect((await findPreviousSuccessful(gh, 'staging', current))?.id).toBe(good.id);
  });
});
