import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { checkMark, ci, startWorld, waitForGate, type World } from '../../sandbox/story.js';

// Prometheus goes down before the deploy is verified: the Action must fail closed — a deploy that
// could not be verified is never reported as a success.

let world: World;

beforeAll(async () => {
  world = await startWorld();
}, 150_000);

afterAll(async () => {
  await world?.stop();
}, 60_000);

describe('Prometheus down during verification', () => {
  it('does not report success: the deployment fails and the previous release is restored', async () => {
    const { sb } = world;
    const repo = 'acme/shop';
    const head = await sb.push(repo, { branch: 'master', files: { 'src/x.ts': 'export const x = 1;\n' }, message: 'feat: x', author: 'alice' });
    await ci(sb, head);
    let mark = checkMark(sb);
    const pr = await sb.openPullRequest({ repo, head: 'master', base: 'staging', title: 'Promote', user: 'alice' });
    await waitForGate(sb, head, (v) => v === 'pending', mark);
    mark = checkMark(sb);
    await sb.review({ repo, pr: pr.number, user: 'bob', event: 'APPROVE', commitId: head });
    await waitForGate(sb, head, (v) => v === 'success', mark);
    await world.prom.stop();
    await sb.merge(repo, pr.number, 'bob');
    const run = await sb.waitForWorkflowRun((r) => r.repo === repo, 150_000);
    expect(run.conclusion).toBe('failure');
    expect(run.outputs.result).not.toBe('success');
    const dep = sb.deploymentsOf(repo).find((d) => String(d.id) === run.inputs.deployment_id);
    expect(dep?.statuses.at(-1)?.state).toBe('failure');
    expect(dep?.statuses.some((s) => s.state === 'success')).toBe(false);
    expect(world.staging.release().version).toBe(world.initialSha);
    await sb.settled();
    expect(sb.violations).toEqual([]);
  }, 200_000);
});
