import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { GitHubSandbox } from '../../sandbox/github-sandbox.js';
import { webhookContract } from '../../sandbox/webhook-contract.js';
import { allSandboxEvents, client, installationToken, seedShop, startReceiver, type Received } from './support.js';

const o = { owner: 'acme', repo: 'shop' };
let sb: GitHubSandbox;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  receiver = await startReceiver(() => sb.app.webhookSecret);
  sb = await GitHubSandbox.start({ webhookUrl: receiver.url, orderedDeliveries: true, events: allSandboxEvents });
  await seedShop(sb);
});

afterAll(async () => {
  await sb?.stop();
  await receiver?.close();
});

// Each test stays within GitHub's REST and webhook contracts (violations are reported by the test that made them).
afterEach(() => {
  expect(sb.violations.splice(0)).toEqual([]);
});

function events(): string[] {
  return receiver.received.map((r) => `${String(r.headers['x-github-event'])}.${String(r.payload.action ?? '')}`);
}

function last(event: string, action?: string): Received {
  const found = [...receiver.received].reverse().find((r) => r.headers['x-github-event'] === event && (action === undefined || r.payload.action === action));
  if (!found) throw new Error(`no ${event}.${action ?? ''} received; got ${events().join(', ')}`);
  return found;
}

describe('webhook deliveries', () => {
  let prNumber = 0;

  it('sends pull_request.opened signed, with GitHub headers and a schema-valid payload', async () => {
    await sb.push('acme/shop', { branch: 'master', files: { 'a.txt': 'a\n' }, message: 'a', author: 'alice' });
    prNumber = (await sb.openPullRequest({ repo: 'acme/shop', head: 'master', base: 'staging', title: 'Promote', user: 'alice' })).number;
    await sb.settled();
    const d = last('pull_request', 'opened');
    expect(d.signatureValid).toBe(true);
    expect(d.headers['x-github-delivery']).toMatch(/^[0-9a-f-]{36}$/);
    expect(d.headers['x-github-hook-installation-target-type']).toBe('integration');
    expect(d.headers['x-github-hook-installation-target-id']).toBe(String(sb.app.id));
    expect(d.headers['user-agent']).toMatch(/^GitHub-Hookshot\//);
    expect(webhookContract().check('pull_request', d.payload)).toEqual([]);
    expect((d.payload.installation as { id: number }).id).toBe(sb.installationFor(sb.account('acme')).id);
    expect((d.payload.pull_request as { number: number }).number).toBe(prNumber);
  });

  it('sends synchronize when the head branch moves, edited with changes.base on retarget, and closed on merge', async () => {
    const before = sb.pull('acme/shop', prNumber).headSha;
    const after = await sb.push('acme/shop', { branch: 'master', files: { 'b.txt': 'b\n' }, message: 'b', author: 'alice' });
    await sb.settled();
    const sync = last('pull_request', 'synchronize');
    expect([sync.payload.before, sync.payload.after]).toEqual([before, after]);
    const gh = client(sb, sb.tokenFor('bob'));
    await gh.pulls.update({ ...o, pull_number: prNumber, base: 'production' });
    await sb.settled();
    const edited = last('pull_request', 'edited');
    expect((edited.payload.changes as { base: { ref: { from: string } } }).base.ref.from).toBe('staging');
    await gh.pulls.update({ ...o, pull_number: prNumber, base: 'staging' });
    await gh.pulls.createReview({ ...o, pull_number: prNumber, event: 'APPROVE' });
    await gh.pulls.merge({ ...o, pull_number: prNumber });
    await sb.settled();
    const review = last('pull_request_review', 'submitted');
    expect((review.payload.review as { state: string; commit_id: string }).state).toBe('approved');
    const closed = last('pull_request', 'closed');
    expect((closed.payload.pull_request as { merged: boolean }).merged).toBe(true);
  });

  it('sends check_run, check_suite, status, deployment, deployment_status and issue_comment events', async () => {
    const app = client(sb, await installationToken(sb, 'acme', 'shop'));
    const sha = (await app.repos.getBranch({ ...o, branch: 'staging' })).data.commit.sha;
    const run = await app.checks.create({ ...o, name: 'stagegate', head_sha: sha, status: 'in_progress' });
    await app.checks.update({ ...o, check_run_id: run.data.id, conclusion: 'success', output: { title: 't', summary: 's' } });
    await app.repos.createCommitStatus({ ...o, sha, state: 'success', context: 'build' });
    const dep = await app.repos.createDeployment({ ...o, ref: sha, environment: 'staging', auto_merge: false, required_contexts: [] });
    await app.repos.createDeploymentStatus({ ...o, deployment_id: (dep.data as { id: number }).id, state: 'in_progress' });
    await app.issues.createComment({ ...o, issue_number: prNumber, body: 'deploying' });
    await sb.settled();
    for (const e of ['check_run.created', 'check_run.completed', 'check_suite.completed', 'status.', 'deployment.created', 'deployment_status.created', 'issue_comment.created']) {
      expect(events()).toContain(e);
    }
    for (const r of receiver.received) {
      expect(r.signatureValid).toBe(true);
      expect(webhookContract().check(String(r.headers['x-github-event']), r.payload)).toEqual([]);
    }
    expect((last('check_suite', 'completed').payload.check_suite as { conclusion: string }).conclusion).toBe('success');
  });

  it('replays a delivery verbatim and sends forged ones with a bad or missing signature', async () => {
    const original = sb.deliveries.find((d) => d.event === 'pull_request' && d.action === 'closed');
    if (!original) throw new Error('no closed delivery recorded');
    const n = receiver.received.length;
    sb.redeliver(original.id);
    sb.sendForged('pull_request', original.payload, 'bad');
    sb.sendForged('pull_request', original.payload, 'missing');
    await sb.settled();
    const [replay, bad, missing] = receiver.received.slice(n);
    expect(replay?.headers['x-github-delivery']).toBe(original.id);
    expect(replay?.body).toBe(original.body);
    expect(replay?.signatureValid).toBe(true);
    expect(bad?.signatureValid).toBe(false);
    expect(bad?.headers['x-hub-signature-256']).toMatch(/^sha256=/);
    expect(missing?.headers['x-hub-signature-256']).toBeUndefined();
    const recorded = sb.deliveries.slice(-2).map((d) => d.status);
    expect(recorded).toEqual([401, 401]);
  });
});
