import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { MERGE_MARKER } from '../../src/protocol/markers.js';
import { runName } from '../../src/protocol/dispatch.js';
import { checkMark, waitForGate } from '../../sandbox/story.js';
import { ONE_STAGE_POLICY, startReplicaWorld, type ReplicaWorld } from '../helpers/replicas.js';

// Exactly-once deploys (#9): three real app server processes on one real PostgreSQL receive every
// delivery at once; the sandbox stands in for GitHub, the real Action bundle runs the deploy.

let w: ReplicaWorld;

beforeAll(async () => {
  w = await startReplicaWorld({ replicas: 3 });
}, 150_000);

afterAll(async () => {
  await w?.stop();
}, 60_000);

afterEach(() => {
  expect(w.sb.violations).toEqual([]);
});

/** A repository with an approved, green master → staging promotion PR. */
async function approvedPromotion(name: string, policy = ONE_STAGE_POLICY): Promise<{ repo: string; pr: number; head: string }> {
  const { sb } = w;
  const repo = await w.repo(name, policy);
  const head = await sb.push(repo, { branch: 'master', files: { [`src/${name}.ts`]: `export const x = '${name}';\n` }, message: `feat: ${name}`, author: 'alice' });
  const mark = checkMark(sb, repo);
  const pr = await sb.openPullRequest({ repo, head: 'master', base: 'staging', title: `Promote ${name}`, user: 'alice' });
  await waitForGate(sb, head, (v) => v === 'pending', mark, 60_000, repo).catch((err: Error) => {
    throw new Error(`${err.message}\n${w.apps.map((a) => a?.logs().split('\n').slice(-5).join('\n') ?? '').join('\n')}`);
  });
  await sb.settled();
  const approved = checkMark(sb, repo);
  await sb.review({ repo, pr: pr.number, user: 'bob', event: 'APPROVE', commitId: head });
  await waitForGate(sb, head, (v) => v === 'success', approved, 60_000, repo);
  await sb.settled();
  return { repo, pr: pr.number, head };
}

/** What one merge made: deployments by the app, dispatches answered, runs, merge comments, dispatch records. */
async function madeBy(repo: string, pr: number, merge: string, ledgerMark: number) {
  const { sb } = w;
  const deployments = sb.deploymentsOf(repo).filter((d) => d.sha === merge && d.viaApp?.id === sb.app.id);
  const dispatches = sb.ledger.since(ledgerMark).filter((e) => e.operationId === 'actions/create-workflow-dispatch');
  const runs = sb.runner.runs.filter((r) => r.repo === repo && r.inputs.sha === merge);
  const comments = (await sb.comments(repo, pr)).filter((c) => c.user.login === `${sb.app.slug}[bot]` && c.body.includes(MERGE_MARKER));
  const dispatched = (await w.records(repo, 'deployment.dispatched')).filter((r) => r.pullRequest === pr);
  return { deployments, dispatches, runs, comments, dispatched };
}

describe('exactly one deployment per merge', () => {
  it('three app processes receiving the same merge delivery make one deployment, one dispatch, one run, one comment', async () => {
    const { sb } = w;
    const p = await approvedPromotion('triplet');
    const ledgerMark = sb.ledger.mark();
    const merge = await sb.merge(p.repo, p.pr, 'carol');
    const run = await sb.waitForWorkflowRun((r) => r.repo === p.repo && r.inputs.sha === merge, 150_000);
    await sb.settled();
    await new Promise((r) => setTimeout(r, 1500));
    await sb.settled();

    const closed = w.fanned.filter((f) => f.event === 'pull_request' && sb.deliveries.some((d) => d.id === f.id && d.action === 'closed' && (d.payload.number as number) === p.pr));
    expect(closed.map((f) => f.statuses.map((s) => s !== null && s < 300))).toEqual([[true, true, true]]);
    const made = await madeBy(p.repo, p.pr, merge, ledgerMark);
    expect(made.deployments).toHaveLength(1);
    expect(made.dispatches.map((d) => d.status)).toEqual([204]);
    expect(made.runs.map((r) => [r.id, r.conclusion])).toEqual([[run.id, 'success']]);
    expect(made.comments).toHaveLength(1);
    expect(made.dispatched.map((r) => r.details.deploymentId)).toEqual([made.deployments[0]!.id]);
    expect(run.inputs.deployment_id).toBe(String(made.deployments[0]!.id));
  }, 240_000);

  it('a dispatch answered 502 after GitHub started the run: the app finds the run by its name and dispatches nothing more', async () => {
    const { sb } = w;
    const p = await approvedPromotion('flaky');
    sb.faults.add({ operationId: 'actions/create-workflow-dispatch', when: 'after', status: 502 });
    const ledgerMark = sb.ledger.mark();
    const merge = await sb.merge(p.repo, p.pr, 'carol');
    const run = await sb.waitForWorkflowRun((r) => r.repo === p.repo && r.inputs.sha === merge, 150_000);
    await sb.settled();
    await new Promise((r) => setTimeout(r, 1500));
    await sb.settled();

    const made = await madeBy(p.repo, p.pr, merge, ledgerMark);
    // One dispatch, answered 502 — the run had started; the app then looked for it instead of dispatching again.
    expect(made.dispatches.map((d) => d.status)).toEqual([502]);
    expect(sb.faults.hits.filter((h) => h.operationId === 'actions/create-workflow-dispatch')).toHaveLength(1);
    expect(made.runs).toHaveLength(1);
    expect(made.deployments).toHaveLength(1);
    const id = made.deployments[0]!.id;
    expect(run.displayTitle).toBe(runName({ environment: 'staging', sha: merge, deploymentId: id }));
    expect(sb.ledger.since(ledgerMark).some((e) => e.operationId === 'actions/list-workflow-runs')).toBe(true);
    expect(made.dispatched.map((r) => [r.details.deploymentId, r.details.runId, r.details.error ?? null])).toEqual([[id, run.id, null]]);
    expect(made.comments).toHaveLength(1);
    expect(made.comments[0]!.body).not.toMatch(/could not start/);
    expect(made.deployments[0]!.statuses.at(-1)?.state).toBe('success');
  }, 240_000);
});
