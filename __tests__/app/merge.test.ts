import { beforeEach, describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { exportRows } from '../../src/audit/export.js';
import { gitBlobSha } from '../../src/config/load.js';
import { parseDeploymentPayload } from '../../src/protocol/deployment-payload.js';
import { MERGE_MARKER } from '../../src/protocol/markers.js';
import { runName } from '../../src/protocol/dispatch.js';
import { AppHarness, useAppHarness, POLICY, SECRET, ciCheck, example, promotion, review, sha } from '../helpers/app-harness.js';

const harness = useAppHarness();
let h: AppHarness;
beforeEach(() => {
  h = harness();
});
const records = (kind?: string) => h.records(kind);

/** A promotion PR whose gate went green, then merged by anna with a merge commit. */
async function greenThenMerged(opts: { approve?: boolean } = {}): Promise<{ number: number; head: string; base: string; merge: string }> {
  const p = promotion(h.world);
  ciCheck(h.world, p.head);
  if (opts.approve !== false) review(h.world, p.number, 'manager', 'APPROVED', p.head);
  await h.send('pull_request', h.pullPayload('opened', p.number));
  const merge = sha('merge-7');
  h.world.commits.set(merge, { ...h.world.commits.get(p.head)!, sha: merge, parents: [p.base, p.head], message: 'Merge pull request #7 from acme/staging' });
  h.world.files.set(p.base, new Map([['.github/stagegate.yml', POLICY]]));
  Object.assign(h.world.pulls.get(p.number)!, { state: 'closed', merged: true, merged_by: 'anna', merge_commit_sha: merge, merged_at: '2026-11-24T10:00:00Z' });
  return { ...p, merge };
}

describe('deploy on merge', () => {
  it('creates exactly one deployment and one dispatch for a green PR; a replay creates nothing new', async () => {
    const { number, head, base, merge } = await greenThenMerged();
    const payload = h.pullPayload('closed', number);
    await h.send('pull_request', payload, 'merge-delivery');

    expect(h.world.deployments).toHaveLength(1);
    const d = h.world.deployments[0]!;
    expect(d).toMatchObject({ sha: merge, ref: merge, environment: 'production' });
    const [createdRecord] = await records('deployment.created');
    // The protocol payload names the promotion, its approved head and merge commit, and carries the approving policy of the base before the merge.
    expect(parseDeploymentPayload(d.payload)).toEqual({
      kind: 'promotion',
      payload: {
        stagegate: 1,
        kind: 'promotion',
        stage: 'production',
        pull_request: number,
        base,
        head,
        merge_commit: merge,
        approvers: [{ login: 'manager', commit: head, at: '2026-11-24T09:00:00Z' }],
        // The audit chain's head when the deployment was made: an anchor the database owner cannot rewrite.
        audit_anchor: { seq: createdRecord!.seq - 1, hash: createdRecord!.prevHash },
        policy: {
          source: { ref: base, path: '.github/stagegate.yml', fell_back: false, blob_sha: gitBlobSha(POLICY) },
          stage: { name: 'production', branch: 'production', from: 'staging', auto_rollback: true },
          workflow: { path: '.github/workflows/stagegate-deploy.yml', ref: 'production' },
        },
      },
    });
    expect(await records('merge.approved')).toHaveLength(1);
    expect(h.world.dispatches).toEqual([
      { workflow: 'stagegate-deploy.yml', ref: 'production', inputs: { environment: 'production', sha: merge, deployment_id: String(d.id), pull_request: String(number) } },
    ]);
    expect(d.statuses.map((s) => s.state)).toEqual(['queued']);
    expect(h.world.commentsWith(number, MERGE_MARKER)[0]!.body).toContain(`Deployment **#${d.id}** was created`);

    await h.send('pull_request', payload, 'merge-delivery');
    await h.send('pull_request', payload, 'merge-delivery-redelivered');
    expect(h.world.deployments).toHaveLength(1);
    expect(h.world.dispatches).toHaveLength(1);
    expect(h.world.commentsWith(number, MERGE_MARKER)).toHaveLength(1);
    expect(h.handled.filter((x) => x.outcome === 'merge').map((x) => (x as { result: { kind: string } }).result.kind)).toEqual(['deployed', 'replayed', 'replayed']);

    const created = await records('deployment.created');
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({ stage: 'production', pullRequest: number, baseSha: base, headSha: head, actor: 'anna' });
    expect(created[0]!.details).toMatchObject({ deploymentId: d.id, sha: merge, commitCount: 1, gateState: 'passed', approvers: [{ login: 'manager', commitId: head }] });
    expect(await records('deployment.dispatched')).toHaveLength(1);
  });

  it('deploys nothing for a merge that bypassed the gate, and says why', async () => {
    const { number } = await greenThenMerged({ approve: false });
    await h.send('pull_request', h.pullPayload('closed', number));

    expect(h.world.deployments).toEqual([]);
    expect(h.world.dispatches).toEqual([]);
    const comment = h.world.commentsWith(number, MERGE_MARKER)[0]!.body;
    expect(comment).toContain('Merged without a green gate — nothing was deployed');
    expect(comment).toContain('merged by @anna');
    const bypass = await records('merge.bypassed');
    expect(bypass).toHaveLength(1);
    expect(bypass[0]!.details).toMatchObject({ mergedBy: 'anna', gateState: 'pending' });
  });

  it('judges the merge by the policy the base had before the merge, not the merged head', async () => {
    const { number } = await greenThenMerged();
    h.world.files.set(sha('merge-7'), new Map([['.github/stagegate.yml', 'stages:\n  - { name: production, branch: production, from: staging, signoff: { approvals: 0 } }\n']]));
    h.world.files.set(h.world.pulls.get(number)!.base.sha, new Map([['.github/stagegate.yml', POLICY.replace('approvals: 1\n      reviewers', 'approvals: 2\n      reviewers')]]));
    await h.send('pull_request', h.pullPayload('closed', number));
    expect(h.world.deployments).toEqual([]);
    expect(h.world.made('repos/get-content').at(-1)?.query.ref).toBe(h.world.pulls.get(number)!.base.sha);
  });

  it('marks the deployment as errored and says so when the dispatch fails', async () => {
    const { number } = await greenThenMerged();
    h.world.failures.set('actions/create-workflow-dispatch', 422);
    await h.send('pull_request', h.pullPayload('closed', number));
    expect(h.world.deployments).toHaveLength(1);
    expect(h.world.deployments[0]!.statuses.map((s) => s.state)).toEqual(['queued', 'error']);
    expect(h.world.commentsWith(number, MERGE_MARKER)[0]!.body).toContain('could not start');
  });
});

describe('webhook signatures', () => {
  it('rejects a delivery with a bad or missing signature and changes nothing', async () => {
    const { number } = promotion(h.world);
    const payload = JSON.stringify(h.pullPayload('opened', number));
    const good = `sha256=${createHmac('sha256', SECRET).update(payload).digest('hex')}`;
    const bad = `sha256=${createHmac('sha256', 'wrong-secret').update(payload).digest('hex')}`;
    await expect(h.probot.webhooks.verifyAndReceive({ id: 'sig-1', name: 'pull_request', payload, signature: bad })).rejects.toThrow(/signature/i);
    await expect(h.probot.webhooks.verifyAndReceive({ id: 'sig-2', name: 'pull_request', payload, signature: '' })).rejects.toThrow();
    expect(h.world.requests).toEqual([]);
    expect(h.world.checkRuns).toEqual([]);
    await h.probot.webhooks.verifyAndReceive({ id: 'sig-3', name: 'pull_request', payload, signature: good });
    expect(h.world.checkRuns).toHaveLength(1);
  });
});

describe('deployment statuses', () => {
  const promo = {
    stagegate: 1,
    kind: 'promotion',
    stage: 'production',
    pull_request: 7,
    base: sha('b'),
    head: sha('h'),
    merge_commit: sha('m'),
    approvers: [],
    policy: {
      source: { ref: sha('b'), path: '.github/stagegate.yml', fell_back: false },
      stage: { name: 'production', branch: 'production', from: 'staging', auto_rollback: true },
      workflow: { path: '.github/workflows/stagegate-deploy.yml', ref: 'production' },
    },
  };
  const app = {
    id: 123,
    slug: 'stagegate',
    node_id: 'A',
    name: 'Stagegate',
    owner: null,
    description: null,
    external_url: 'https://x',
    html_url: 'https://x',
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
    permissions: {},
    events: [],
  };

  it('records statuses, the verification result and a rollback once, whatever the replays', async () => {
    h.world.deployments.push({
      id: 501,
      sha: sha('m'),
      ref: sha('m'),
      environment: 'production',
      payload: promo,
      created_at: '2026-11-24T10:00:00Z',
      statuses: [{ id: 9001, state: 'failure', description: 'failure: metrics-failed (5xx ratio 0.12 > 0.01)', created_at: '2026-11-24T10:05:00Z' }],
    });
    const e = h.dress(example('deployment_status', 'created'));
    e.deployment = { ...e.deployment, id: 501, sha: sha('m'), environment: 'production', payload: promo, performed_via_github_app: app };
    e.deployment_status = { ...e.deployment_status, id: 9001, state: 'failure', description: 'failure: metrics-failed (5xx ratio 0.12 > 0.01)', created_at: '2026-11-24T10:05:00Z' };
    h.world.files.set('master', new Map([['.github/stagegate.yml', POLICY]]));
    await h.send('deployment_status', e, 'ds-1');
    await h.send('deployment_status', e, 'ds-1');

    const rb = h.dress(example('deployment_status', 'created'));
    rb.deployment = {
      ...rb.deployment,
      id: 502,
      sha: sha('previous'),
      environment: 'production',
      payload: { stagegate: 1, kind: 'rollback', stage: 'production', pull_request: 7, rollback_of: 501, target_deployment: 400 },
    };
    rb.deployment_status = { ...rb.deployment_status, id: 9002, state: 'success', description: 'success: ok (rollback of deployment 501 to 0000000)', created_at: '2026-11-24T10:06:00Z' };
    await h.send('deployment_status', rb, 'ds-2');

    expect((await records('deployment.status')).map((r) => r.details.state)).toEqual(['failure', 'success']);
    const verification = await records('verification.result');
    expect(verification.map((r) => [r.details.deploymentId, r.details.result, r.details.reasonCode, r.details.trusted])).toEqual([[501, 'failure', 'metrics-failed', true]]);
    expect((await records('rollback')).map((r) => [r.details.deploymentId, r.details.rollbackDeploymentId, r.details.sha])).toEqual([[501, 502, sha('previous')]]);
  });

  it('records a success as verified only with its run’s provenance, and a forged one as untrusted, naming why', async () => {
    const runUrl = 'https://github.com/acme/app/actions/runs/77';
    h.world.runs.set(77, {
      id: 77,
      repository: { full_name: 'acme/app' },
      path: '.github/workflows/stagegate-deploy.yml',
      head_branch: 'production',
      head_sha: sha('m'),
      event: 'workflow_dispatch',
      status: 'completed',
      conclusion: 'success',
      display_title: runName({ deploymentId: 501, sha: sha('m'), environment: 'production' }),
      updated_at: '2026-11-24T10:06:00Z',
      html_url: runUrl,
    });
    h.world.deployments.push({
      id: 501,
      sha: sha('m'),
      ref: sha('m'),
      environment: 'production',
      payload: promo,
      created_at: '2026-11-24T10:00:00Z',
      statuses: [{ id: 9101, state: 'success', description: 'success: ok (verified 0000000)', created_at: '2026-11-24T10:05:00Z', log_url: runUrl }],
    });
    h.world.deployments.push({
      id: 601,
      sha: sha('x'),
      ref: sha('x'),
      environment: 'production',
      payload: {},
      byApp: false,
      created_at: '2026-11-24T10:00:00Z',
      statuses: [{ id: 9201, state: 'success', description: 'success: ok (verified 1111111)', created_at: '2026-11-24T10:05:00Z', log_url: runUrl }],
    });
    const good = h.dress(example('deployment_status', 'created'));
    good.deployment = { ...good.deployment, id: 501, sha: sha('m'), environment: 'production', payload: promo, performed_via_github_app: app };
    good.deployment_status = { ...good.deployment_status, id: 9101, state: 'success', description: 'success: ok (verified 0000000)', log_url: runUrl, created_at: '2026-11-24T10:05:00Z' };
    const forged = h.dress(example('deployment_status', 'created'));
    forged.deployment = { ...forged.deployment, id: 601, sha: sha('x'), environment: 'production', payload: {}, performed_via_github_app: null };
    forged.deployment_status = { ...forged.deployment_status, id: 9201, state: 'success', description: 'success: ok (verified 1111111)', log_url: runUrl, created_at: '2026-11-24T10:05:00Z' };
    h.world.files.set('master', new Map([['.github/stagegate.yml', POLICY]]));
    await h.send('deployment_status', good, 'ds-good');
    await h.send('deployment_status', forged, 'ds-forged');
    const v = await records('verification.result');
    expect(v.map((r) => [r.details.deploymentId, r.details.result, r.details.trusted])).toEqual([
      [501, 'success', true],
      [601, 'untrusted', false],
    ]);
    expect(v[1]!.details.why).toContain('not by the Stagegate app');
  });
});

describe('audit export of what the app recorded', () => {
  it('has one row per promotion deployed or bypassed, matching what happened', async () => {
    const { number, head, base, merge } = await greenThenMerged();
    await h.send('pull_request', h.pullPayload('closed', number));
    const d = h.world.deployments[0]!;
    const e = h.dress(example('deployment_status', 'created'));
    e.deployment = { ...e.deployment, id: d.id, sha: merge, environment: 'production', payload: d.payload };
    e.deployment_status = { ...e.deployment_status, id: 9100, state: 'success', description: 'success: deployed', created_at: '2026-11-24T10:20:00Z' };
    await h.send('deployment_status', e);

    const second = promotion(h.world, { number: 8, commits: [{ author: { login: 'carol', name: 'Carol', email: 'carol@example.com', date: '2026-11-21T09:00:00Z' } }] });
    ciCheck(h.world, second.head);
    review(h.world, 8, 'carol', 'APPROVED', second.head);
    await h.send('pull_request', h.pullPayload('opened', 8));
    const merge8 = sha('merge-8');
    h.world.commits.set(merge8, { ...h.world.commits.get(second.head)!, sha: merge8, parents: [second.base, second.head] });
    h.world.files.set(second.base, new Map([['.github/stagegate.yml', POLICY]]));
    Object.assign(h.world.pulls.get(8)!, { state: 'closed', merged: true, merged_by: 'root', merge_commit_sha: merge8 });
    await h.send('pull_request', h.pullPayload('closed', 8));

    const rows = [];
    for await (const row of exportRows(h.store, { repository: 'acme/app' })) rows.push(row);
    expect(rows.map((r) => [r.pullRequest, r.stage, r.range, r.bypass, r.integrity])).toEqual([
      [number, 'production', `${base}..${head}`, false, 'unverified'],
      [8, 'production', `${second.base}..${second.head}`, true, 'unverified'],
    ]);
    expect(rows[0]).toMatchObject({ deploymentId: String(d.id), sha: merge, mergedBy: 'anna', commitCount: 1, authors: ['alice'], gateState: 'passed' });
    expect(rows[0]!.approvals).toEqual([expect.objectContaining({ login: 'manager', commitId: head })]);
    expect(rows[0]!.statuses.map((s) => s.state)).toEqual(['success']);
    // The evidence an auditor asks for: the PR, the policy that applied, every rule, each required check.
    const pr = h.world.pulls.get(number)!;
    expect(rows[0]).toMatchObject({ pullRequestTitle: pr.title, pullRequestUrl: expect.stringMatching(new RegExp(`/acme/app/pull/${number}$`)) });
    expect(rows[0]!.policy).toEqual({ path: '.github/stagegate.yml', ref: base, blobSha: gitBlobSha(POLICY), fellBack: false, extendsFrom: null, extendsBlobSha: null });
    expect(rows[0]!.rules.map((r) => [r.id, r.state])).toEqual(
      expect.arrayContaining([
        ['approvals', 'passed'],
        ['required-checks', 'passed'],
      ]),
    );
    expect(rows[0]!.requiredChecks).toEqual([expect.objectContaining({ name: 'build', source: 'check_run', conclusion: 'success', status: 'completed' })]);
    expect(rows[0]!.commits.map((c) => [c.sha, c.author.login])).toEqual([[expect.any(String), 'alice']]);
    expect(rows[1]).toMatchObject({ mergedBy: 'root', deploymentId: null });
    expect(rows[1]!.bypassReasons.join(' ')).toMatch(/approvals/i);
  });
});
