import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { GitHubSandbox } from '../../sandbox/github-sandbox.js';
import type { WorkflowRun } from '../../sandbox/runner/workflow-runner.js';
import { client, seedShop } from './support.js';

const o = { owner: 'acme', repo: 'shop' };
let sb: GitHubSandbox;
let gates = '';

/** A deploy workflow whose only step waits until the test releases its `tag` (a file in $GATES). */
const workflow = (name: string, cancelInProgress: string): string => `name: ${name}
on:
  workflow_dispatch:
    inputs:
      environment: { required: true, type: string }
      tag: { required: true, type: string }
concurrency:
  group: \${{ github.workflow }}-\${{ inputs.environment }}
  cancel-in-progress: ${cancelInProgress}
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - run: while [ ! -e "$GATES/\${{ inputs.tag }}" ]; do sleep 0.05; done; echo "deployed \${{ inputs.tag }}"
`;

beforeAll(async () => {
  gates = await mkdtemp(join(tmpdir(), 'sbx-gates-'));
  sb = await GitHubSandbox.start({ runnerEnv: { GATES: gates } });
  await seedShop(sb);
  await sb.push('acme/shop', {
    branch: 'master',
    files: { '.github/workflows/queue.yml': workflow('queue', 'false'), '.github/workflows/replace.yml': workflow('replace', 'true') },
    message: 'add workflows',
    author: 'alice',
  });
  await sb.createRepo({ owner: 'acme', name: 'other', defaultBranch: 'master', files: { '.github/workflows/queue.yml': workflow('queue', 'false') } });
  sb.addCollaborator('acme/other', 'bob', 'write');
});

afterAll(async () => {
  await sb?.stop();
  await rm(gates, { recursive: true, force: true });
});

afterEach(() => {
  expect(sb.violations.splice(0)).toEqual([]);
});

async function dispatch(workflowId: string, environment: string, tag: string, repo = o.repo): Promise<WorkflowRun> {
  await client(sb, sb.tokenFor('bob')).actions.createWorkflowDispatch({ ...o, repo, workflow_id: workflowId, ref: 'master', inputs: { environment, tag } });
  const run = sb.runner.runs.find((r) => r.inputs.tag === tag);
  if (!run) throw new Error(`no run for ${tag}`);
  return run;
}

const release = (tag: string): Promise<void> => writeFile(join(gates, tag), '');
const inProgress = (run: WorkflowRun): Promise<WorkflowRun> => sb.waitFor(() => (run.status === 'in_progress' ? run : null), 20_000, `run ${run.inputs.tag} in progress`);

describe('workflow concurrency groups', () => {
  it('runs one per group of a repository, keeps one pending, cancels the pending one a newer run replaces (group names case-insensitive)', async () => {
    const a = await dispatch('queue.yml', 'staging', 'a');
    await inProgress(a);
    const b = await dispatch('queue.yml', 'staging', 'b');
    expect(b.status).toBe('pending');
    const c = await dispatch('queue.yml', 'STAGING', 'c');
    const p = await dispatch('queue.yml', 'production', 'p');
    const elsewhere = await dispatch('queue.yml', 'staging', 'e', 'other');
    await inProgress(elsewhere); // groups are per repository
    await release('e');
    expect([b.status, b.conclusion, b.steps]).toEqual(['completed', 'cancelled', []]);
    expect(c.status).toBe('pending');
    await inProgress(p);
    expect(a.status).toBe('in_progress');
    await release('a');
    await inProgress(c);
    expect(a.conclusion).toBe('success');
    await release('c');
    await release('p');
    await sb.settled();
    expect([a, b, c, p, elsewhere].map((r) => `${r.inputs.tag}:${r.conclusion}`)).toEqual(['a:success', 'b:cancelled', 'c:success', 'p:success', 'e:success']);
    expect(c.stdout).toContain('deployed c');
    expect(a.concurrencyGroup).toBe('queue-staging');
  });

  it('with cancel-in-progress: true cancels the running run of the group and runs the new one', async () => {
    const x = await dispatch('replace.yml', 'staging', 'x');
    await inProgress(x);
    const y = await dispatch('replace.yml', 'staging', 'y');
    await inProgress(y);
    expect([x.status, x.conclusion]).toEqual(['completed', 'cancelled']);
    await release('y');
    await sb.settled();
    expect(y.conclusion).toBe('success');
    expect(x.stdout).not.toContain('deployed x');
  });
});
