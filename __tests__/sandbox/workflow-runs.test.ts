import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GitHubSandbox } from '../../sandbox/github-sandbox.js';
import { client, installationToken, seedShop } from './support.js';

const o = { owner: 'acme', repo: 'shop' };
let sb: GitHubSandbox;
let dir = '';

const workflow = `name: Stagegate deploy
on:
  workflow_dispatch:
    inputs:
      environment: { required: true, type: string }
      sha: { required: true, type: string }
      deployment_id: { required: true, type: string }
      pull_request: { required: false, type: string, default: '' }
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with: { ref: "\${{ inputs.sha }}" }
      - id: gate
        uses: acme/stagegate@v1
        with:
          environment: \${{ inputs.environment }}
          sha: \${{ inputs.sha }}
          deployment-id: \${{ inputs.deployment_id }}
          pull-request: \${{ inputs.pull_request }}
      - if: failure()
        run: echo "rollback ran" >> "$GITHUB_STEP_SUMMARY"
`;

/** A fake action bundle: records its environment, reads the checkout, calls the API with INPUT_TOKEN. */
const bundle = `
import { readFileSync, appendFileSync } from 'node:fs';
const env = process.env;
const event = JSON.parse(readFileSync(env.GITHUB_EVENT_PATH, 'utf8'));
const config = readFileSync(env.GITHUB_WORKSPACE + '/' + env['INPUT_CONFIG'], 'utf8');
const res = await fetch(env.GITHUB_API_URL + '/repos/' + env.GITHUB_REPOSITORY + '/deployments/' + env['INPUT_DEPLOYMENT-ID'] + '/statuses', {
  method: 'POST',
  headers: { authorization: 'token ' + env.INPUT_TOKEN, 'content-type': 'application/json', accept: 'application/vnd.github+json' },
  body: JSON.stringify({ state: env.INPUT_ENVIRONMENT === 'broken' ? 'failure' : 'success', description: 'deployed by the fake bundle' }),
});
const seen = {
  status: res.status, config, inputs: event.inputs, sha: env.GITHUB_SHA, ref: env.GITHUB_REF, event: env.GITHUB_EVENT_NAME,
  environment: env.INPUT_ENVIRONMENT, inputSha: env.INPUT_SHA, pr: env['INPUT_PULL-REQUEST'], runId: env.GITHUB_RUN_ID,
  attempt: env.GITHUB_RUN_ATTEMPT, temp: Boolean(env.RUNNER_TEMP), server: env.GITHUB_SERVER_URL,
};
appendFileSync(env.GITHUB_OUTPUT, 'result=' + (res.status === 201 ? 'success' : 'failure') + '\\n');
appendFileSync(env.GITHUB_OUTPUT, 'report<<EOF_X\\n' + JSON.stringify(seen) + '\\nEOF_X\\n');
appendFileSync(env.GITHUB_STEP_SUMMARY, '## Deployed ' + env.INPUT_SHA.slice(0, 7) + '\\n');
console.log('fake action ran for', env.INPUT_ENVIRONMENT);
if (env.INPUT_ENVIRONMENT === 'broken') { console.error('boom'); process.exit(1); }
`;

beforeAll(async () => {
  sb = await GitHubSandbox.start();
  await seedShop(sb);
  dir = await mkdtemp(join(tmpdir(), 'fake-action-'));
  await writeFile(join(dir, 'index.mjs'), bundle);
  await writeFile(
    join(dir, 'action.yml'),
    "name: fake\ninputs:\n  token: { default: '${{ github.token }}' }\n  config: { default: .github/stagegate.yml }\nruns: { using: node20, main: index.mjs }\n",
  );
  sb.registerAction('acme/stagegate@v1', { entry: join(dir, 'index.mjs'), actionYml: join(dir, 'action.yml') });
  await sb.push('acme/shop', {
    branch: 'master',
    files: { '.github/workflows/stagegate-deploy.yml': workflow, '.github/stagegate.yml': 'stages: [staging]\n' },
    message: 'add deploy workflow',
    author: 'alice',
  });
  await sb.createBranch('acme/shop', 'release', 'master');
});

afterAll(async () => {
  await sb?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

// Each test stays within GitHub's REST and webhook contracts (violations are reported by the test that made them).
afterEach(() => {
  expect(sb.violations.splice(0)).toEqual([]);
});

describe('workflow_dispatch runs the action bundle like a runner', () => {
  it('runs the bundle with INPUT_*, GITHUB_* and a checkout of the ref, recording outputs and the step summary', async () => {
    const app = client(sb, await installationToken(sb, 'acme', 'shop'));
    const sha = (await app.repos.getBranch({ ...o, branch: 'release' })).data.commit.sha;
    const dep = await app.repos.createDeployment({ ...o, ref: sha, environment: 'staging', auto_merge: false, required_contexts: [] });
    const deploymentId = (dep.data as { id: number }).id;
    const res = await app.actions.createWorkflowDispatch({
      ...o,
      workflow_id: 'stagegate-deploy.yml',
      ref: 'release',
      inputs: { environment: 'staging', sha, deployment_id: String(deploymentId), pull_request: '7' },
    });
    expect(res.status).toBe(204);
    const run = await sb.waitForWorkflowRun((r) => r.inputs.deployment_id === String(deploymentId));
    expect(run.conclusion).toBe('success');
    expect(run.outputs.result).toBe('success');
    const seen = JSON.parse(run.outputs.report ?? '{}') as Record<string, unknown>;
    expect(seen).toMatchObject({
      status: 201,
      config: 'stages: [staging]\n',
      inputs: { environment: 'staging', sha, deployment_id: String(deploymentId), pull_request: '7' },
      sha,
      ref: 'refs/heads/release',
      event: 'workflow_dispatch',
      environment: 'staging',
      inputSha: sha,
      pr: '7',
      runId: String(run.id),
      attempt: '1',
      temp: true,
      server: sb.url,
    });
    expect(run.summary).toBe(`## Deployed ${sha.slice(0, 7)}\n`);
    expect(run.stdout).toContain('fake action ran for staging');
    expect(run.steps.map((s) => s.conclusion)).toEqual(['success', 'success', 'skipped']);
    const statuses = await app.repos.listDeploymentStatuses({ ...o, deployment_id: deploymentId });
    expect(statuses.data.map((s) => [s.state, s.creator?.login])).toEqual([['success', 'github-actions[bot]']]);
  });

  it('records a failing bundle as a failed run and runs failure() steps', async () => {
    const app = client(sb, await installationToken(sb, 'acme', 'shop'));
    const sha = (await app.repos.getBranch({ ...o, branch: 'release' })).data.commit.sha;
    const dep = await app.repos.createDeployment({ ...o, ref: sha, environment: 'broken', auto_merge: false, required_contexts: [] });
    await app.actions.createWorkflowDispatch({
      ...o,
      workflow_id: 'stagegate-deploy.yml',
      ref: 'release',
      inputs: { environment: 'broken', sha, deployment_id: String((dep.data as { id: number }).id) },
    });
    const run = await sb.waitForWorkflowRun((r) => r.inputs.environment === 'broken');
    expect(run.conclusion).toBe('failure');
    expect(run.stderr).toContain('boom');
    expect(run.steps.map((s) => s.conclusion)).toEqual(['success', 'failure', 'success']);
    expect(run.summary).toContain('rollback ran');
  });

  it('refuses dispatches GitHub refuses: unknown workflow, unknown ref, unexpected or missing inputs', async () => {
    const app = client(sb, await installationToken(sb, 'acme', 'shop'));
    const inputs = { environment: 'staging', sha: 'x', deployment_id: '1' };
    await expect(app.actions.createWorkflowDispatch({ ...o, workflow_id: 'nope.yml', ref: 'release', inputs })).rejects.toMatchObject({ status: 404 });
    await expect(app.actions.createWorkflowDispatch({ ...o, workflow_id: 'stagegate-deploy.yml', ref: 'nope', inputs })).rejects.toMatchObject({ status: 422 });
    await expect(app.actions.createWorkflowDispatch({ ...o, workflow_id: 'stagegate-deploy.yml', ref: 'release', inputs: { ...inputs, extra: '1' } })).rejects.toMatchObject({ status: 422 });
    await expect(app.actions.createWorkflowDispatch({ ...o, workflow_id: 'stagegate-deploy.yml', ref: 'release', inputs: { environment: 'staging' } })).rejects.toMatchObject({ status: 422 });
    await expect(app.actions.createWorkflowDispatch({ ...o, workflow_id: 'stagegate-deploy.yml', ref: 'staging', inputs })).rejects.toMatchObject({ status: 404 });
    expect(sb.runner.runs).toHaveLength(2);
  });
});
