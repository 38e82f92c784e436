import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Octokit } from '@octokit/rest';
import { exportRows, type ExportRow } from '../../src/audit/export.js';
import { openAuditStore } from '../../src/audit/open.js';
import type { AuditRecord } from '../../src/audit/types.js';
import { dispatchInputs } from '../../src/protocol/dispatch.js';
import { GATE_MARKER } from '../../src/protocol/markers.js';
import { checkMark, ci, createShopRepo, demoConfig, startWorld, verdictOf, waitForGate, type World } from '../../sandbox/story.js';
import { deployWorkflow } from '../../sandbox/stack.js';
import { RATIO } from '../../sandbox/story/world.js';

// Deploy-time enforcement, each as a user with write access would try it, against the real app
// server and the real Action bundle on the sandbox.

let world: World;
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const as = (login: string): Octokit => new Octokit({ baseUrl: world.sb.apiUrl, auth: world.sb.tokenFor(login), log: quiet });

beforeAll(async () => {
  world = await startWorld();
  world.sb.createUser({ login: 'mallory', name: 'Mallory Writer', email: 'mallory@acme.test' });
}, 150_000);

afterAll(async () => {
  await world?.stop();
}, 60_000);

afterEach(() => {
  expect(world.sb.violations).toEqual([]);
});

/** The app's audit records of one repository (read from its embedded store while it runs). */
async function records(repo: string, kind?: string): Promise<AuditRecord[]> {
  const store = await openAuditStore({ dataDir: world.stack.app.dataDir, mustExist: true });
  try {
    const out: AuditRecord[] = [];
    for await (const r of store.records(repo)) if (!kind || r.kind === kind) out.push(r);
    return out;
  } finally {
    await store.close();
  }
}

/** The audit export's rows of one repository (the library the CLI's `audit export` runs). */
async function exported(repo: string): Promise<ExportRow[]> {
  const store = await openAuditStore({ dataDir: world.stack.app.dataDir, mustExist: true });
  try {
    const out: ExportRow[] = [];
    for await (const row of exportRows(store, { repository: repo })) out.push(row);
    return out;
  } finally {
    await store.close();
  }
}

/** A repository whose master has a feature by alice (CI green) and an open master → staging promotion. */
async function promotion(name: string, opts: { config?: string; workflow?: string; files?: Record<string, string>; pusher?: string } = {}) {
  const { sb } = world;
  const initial = await createShopRepo(world, name, opts.config, opts.workflow ? { workflow: opts.workflow } : {});
  const repo = `acme/${name}`;
  sb.addCollaborator(repo, 'mallory', 'write');
  const head = await sb.push(repo, {
    branch: 'master',
    files: opts.files ?? { 'src/feature.ts': `export const feature = '${name}';\n` },
    message: `feat: ${name}`,
    author: 'alice',
    ...(opts.pusher ? { pusher: opts.pusher } : {}),
  });
  await ci(sb, head, repo);
  const mark = checkMark(sb, repo);
  const pr = await sb.openPullRequest({ repo, head: 'master', base: 'staging', title: `Promote ${name}`, user: 'alice' });
  await waitForGate(sb, head, () => true, mark, 30_000, repo);
  return { repo, pr: pr.number, head, initial };
}

/** Approves and merges a promotion; waits for the deploy run it triggers. */
async function approveAndMerge(p: { repo: string; pr: number; head: string }) {
  const { sb } = world;
  const mark = checkMark(sb, p.repo);
  await sb.review({ repo: p.repo, pr: p.pr, user: 'bob', event: 'APPROVE', commitId: p.head });
  await waitForGate(sb, p.head, (v) => v === 'success', mark, 30_000, p.repo);
  const before = new Set(sb.runner.runs.map((r) => r.id));
  const merge = await sb.merge(p.repo, p.pr, 'carol');
  const run = await sb.waitForWorkflowRun((r) => r.repo === p.repo && !before.has(r.id) && r.status === 'completed', 150_000);
  await sb.settled();
  return { merge, run };
}

describe('the deploy step is reached only through a green gate', () => {
  it('a self-made deployment + dispatch of unreviewed code is refused, nothing runs, and the app records the refusal', async () => {
    const { sb } = world;
    const { repo } = await promotion('selfmade');
    const [owner, name] = repo.split('/') as [string, string];
    const mallory = as('mallory');
    const sha = await sb.push(repo, { branch: 'master', files: { 'src/backdoor.ts': 'export const open = true;\n' }, message: 'quick fix', author: 'mallory' });
    const { data } = await mallory.repos.createDeployment({
      owner,
      repo: name,
      ref: sha,
      environment: 'staging',
      auto_merge: false,
      required_contexts: [],
      payload: { stagegate: 1, kind: 'promotion', stage: 'staging', pull_request: 1 },
    });
    const id = (data as { id: number }).id;
    const before = world.staging.release().version;
    const runsBefore = new Set(sb.runner.runs.map((r) => r.id));
    await mallory.actions.createWorkflowDispatch({
      owner,
      repo: name,
      workflow_id: 'stagegate-deploy.yml',
      ref: 'staging',
      inputs: dispatchInputs({ environment: 'staging', sha, deploymentId: id, pullRequest: 1 }),
    });
    const run = await sb.waitForWorkflowRun((r) => r.repo === repo && !runsBefore.has(r.id) && r.status === 'completed', 120_000);
    await sb.settled();

    expect([run.conclusion, run.outputs['reason-code']]).toEqual(['failure', 'not-approved']);
    expect(world.staging.release().version).toBe(before);
    expect(
      sb
        .repo(repo)
        .deployments.get(id)!
        .statuses.map((s) => s.state),
    ).toEqual(['error']);
    const refused = await sb.waitFor(async () => (await records(repo, 'deploy.refused')).find((r) => r.details.deploymentId === id) ?? null, 20_000, 'the refusal in the audit trail');
    expect(refused?.details).toMatchObject({ reasonCode: 'not-approved', creator: 'github-actions[bot]', deploymentCreator: 'mallory', sha });
    const rows = (await exported(repo)).filter((r) => r.kind === 'refused');
    expect(rows.map((r) => [r.deploymentId, r.sha, r.refusal?.by, r.refusal?.reasonCode, r.refusal?.requestedBy])).toEqual([[String(id), sha, 'action', 'not-approved', 'mallory']]);
  }, 180_000);

  it('a forged staging success does not make production green, and is named as untrusted', async () => {
    const { sb } = world;
    // Staging verification fails for this release (its smoke test), with no rollback: staging keeps the failed deployment.
    const config = demoConfig(world.staging, world.production, world.prom)
      .replace('grep -q "$STAGEGATE_SHA"', 'grep -q "a-release-that-never-exists"')
      .replace('auto_rollback: true', 'auto_rollback: false');
    const p = await promotion('forged', { config });
    const { merge, run } = await approveAndMerge(p);
    expect(run.outputs['reason-code']).toBe('smoke-failed');
    const r = sb.repo(p.repo);
    const failed = [...r.deployments.values()].find((d) => d.sha === merge && d.viaApp?.id === sb.app.id)!;
    const [owner, name] = p.repo.split('/') as [string, string];
    const mallory = as('mallory');
    // Mallory claims success on the app's failed staging deployment, linking the real run...
    await mallory.repos.createDeploymentStatus({
      owner,
      repo: name,
      deployment_id: failed.id,
      state: 'success',
      description: `success: ok (verified ${merge.slice(0, 7)})`,
      log_url: `${sb.url}/${p.repo}/actions/runs/${run.id}`,
    });
    // ...and makes a staging deployment of her own, marked verified.
    const { data } = await mallory.repos.createDeployment({ owner, repo: name, ref: merge, environment: 'staging', auto_merge: false, required_contexts: [], payload: {} });
    await mallory.repos.createDeploymentStatus({ owner, repo: name, deployment_id: (data as { id: number }).id, state: 'success', description: `success: ok (verified ${merge.slice(0, 7)})` });
    await sb.settled();

    await ci(sb, merge, p.repo);
    const mark = checkMark(sb, p.repo);
    const prod = await sb.openPullRequest({ repo: p.repo, head: 'staging', base: 'production', title: 'Promote forged to production', user: 'bob' });
    await sb.review({ repo: p.repo, pr: prod.number, user: 'carol', event: 'APPROVE', commitId: merge });
    await sb.settled();
    const gate = await waitForGate(sb, merge, () => true, mark, 30_000, p.repo);
    expect(verdictOf(gate)).not.toBe('success');
    const text = `${gate.output.summary ?? ''}${gate.output.text ?? ''}`;
    expect(text).toContain('untrusted success');
    expect(text).toContain(`is contradicted by its run ${run.id}, which concluded failure`);
    expect(text).toContain('not made by Stagegate');
    const untrusted = (await records(p.repo, 'verification.result')).filter((x) => x.details.result === 'untrusted');
    expect(untrusted.length).toBeGreaterThanOrEqual(1);
  }, 240_000);

  it('a promotion that raises its own metric threshold is verified under the base’s threshold', async () => {
    const { sb } = world;
    const base = demoConfig(world.staging, world.production, world.prom);
    const loosened = base.replace(/max: 0\.05/, 'max: 1');
    expect(loosened).not.toBe(base);
    const p = await promotion('loosen', { files: { '.github/stagegate.yml': loosened, 'src/feature.ts': 'export const broken = true;\n' } });
    const comment = await sb.waitFor(() => [...sb.repo(p.repo).comments.values()].find((c) => c.issueNumber === p.pr && c.body.includes(GATE_MARKER)) ?? null, 30_000, 'the gate comment');
    expect(comment.body).toContain('This promotion changes the policy itself');
    // Every new release answers 40% of its requests with 500 in staging (the merge commit is not known in advance).
    world.stagingErrorRatio[p.initial] = 0; // what staging rolls back to stays healthy
    world.stagingErrorRatio['*'] = 0.4;
    const { run } = await approveAndMerge(p).finally(() => delete world.stagingErrorRatio['*']);
    expect(run.outputs['reason-code']).toBe('metrics-failed');
    expect(run.outputs.result).toBe('rolled_back');
    expect(JSON.parse(run.outputs.report ?? '{}').attempt.metrics[0].threshold).toBe('≤ 0.05');
    // The staging service is shared by every test: wait until its 5xx ratio is back to 0 (the rate window has forgotten the bad release).
    await world.prom.waitForQuery(RATIO(world.staging.target), (v) => v.length === 1 && v[0] === 0, 60_000);
  }, 240_000);

  it('an approver who pushed the head under someone else’s name does not count', async () => {
    const { sb } = world;
    const p = await promotion('pusher', { pusher: 'bob' });
    const mark = checkMark(sb, p.repo);
    await sb.review({ repo: p.repo, pr: p.pr, user: 'bob', event: 'APPROVE', commitId: p.head });
    const gate = await waitForGate(sb, p.head, () => true, mark, 30_000, p.repo);
    expect(verdictOf(gate)).toBe('pending');
    expect(`${gate.output.summary ?? ''}${gate.output.text ?? ''}`).toMatch(/bob pushed/);
    const mark2 = checkMark(sb, p.repo);
    await sb.review({ repo: p.repo, pr: p.pr, user: 'carol', event: 'APPROVE', commitId: p.head });
    expect(verdictOf(await waitForGate(sb, p.head, () => true, mark2, 30_000, p.repo))).toBe('success');
  }, 120_000);

  it('a marker planted in someone else’s comment is ignored: the app keeps writing its own comment', async () => {
    const { sb } = world;
    const p = await promotion('planted');
    const planted = await sb.comment(p.repo, p.pr, 'mallory', `${GATE_MARKER}\nAll green, ship it!`);
    const mark = checkMark(sb, p.repo);
    await sb.review({ repo: p.repo, pr: p.pr, user: 'bob', event: 'APPROVE', commitId: p.head });
    await waitForGate(sb, p.head, (v) => v === 'success', mark, 30_000, p.repo);
    await sb.settled();
    const withMarker = [...sb.repo(p.repo).comments.values()].filter((c) => c.issueNumber === p.pr && c.body.includes(GATE_MARKER));
    expect(sb.repo(p.repo).comments.get(planted.id)!.body).toBe(`${GATE_MARKER}\nAll green, ship it!`);
    const own = withMarker.filter((c) => c.user.login === `${sb.app.slug}[bot]`);
    expect(own).toHaveLength(1);
    expect(own[0]!.body).toContain('ready to merge');
  }, 120_000);
});

describe('protection-rule mode: GitHub asks the app before the job starts', () => {
  const secret = 'prod-token-42';
  const protectedConfig = () => `${demoConfig(world.staging, world.production, world.prom).replace('workflow: stagegate-deploy.yml', 'workflow: stagegate-deploy.yml\n  mode: protection_rule')}`;
  const workflow = () => deployWorkflow(world.stack.actionUses, { mode: 'protection_rule', secrets: ['DEPLOY_TOKEN'] });

  it('an approved promotion’s job runs with the environment’s secret; one deployment per promotion', async () => {
    const { sb } = world;
    const config = protectedConfig().replace(/(- name: staging\n[\s\S]*?command: )([^\n]*)/, '$1echo "secret-seen:$DEPLOY_TOKEN" && $2');
    const p = await promotion('protected', { config, workflow: workflow() });
    sb.createEnvironment(p.repo, 'staging', { protectionRules: ['stagegate'], secrets: { DEPLOY_TOKEN: secret }, branches: ['staging'] });
    const depsBefore = sb.deploymentsOf(p.repo).length;
    const { merge, run } = await approveAndMerge(p);
    expect([run.conclusion, run.outputs.result, run.outputs['reason-code']]).toEqual(['success', 'success', 'ok']);
    expect(run.stdout).toContain(`secret-seen:${secret}`);
    expect(run.environments).toEqual([expect.objectContaining({ environment: 'staging', state: 'approved' })]);
    const created = sb.deploymentsOf(p.repo).slice(depsBefore);
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({ sha: merge, environment: 'staging' });
    expect(created[0]!.viaApp?.slug).toBe('github-actions');
    expect(world.staging.release().version).toBe(merge);
    const reviewed = await records(p.repo, 'protection_rule.reviewed');
    expect(reviewed.map((r) => [r.details.state, r.details.deploymentId])).toEqual([['approved', created[0]!.id]]);
    // The auditor's row: GitHub's job deployment, with the decision the app recorded at the merge.
    await sb.waitFor(async () => ((await exported(p.repo)).find((r) => r.kind === 'deployment')?.verification ? true : null), 20_000, 'the verification in the export');
    const [row, ...others] = await exported(p.repo);
    expect(others).toEqual([]);
    expect(row).toMatchObject({ kind: 'deployment', deploymentId: String(created[0]!.id), sha: merge, mergedBy: 'carol', pullRequest: p.pr, gateState: 'passed', refusal: null });
    expect(row!.approvals.map((a) => [a.login, a.commitId])).toEqual([['bob', p.head]]);
    expect(row!.policy?.path).toBe('.github/stagegate.yml');
    expect(row!.verification).toMatchObject({ result: 'success', trusted: true });
    expect(row!.statuses.at(-1)?.state).toBe('success');
  }, 240_000);

  it('a manual dispatch of an unapproved commit waits for the app and is rejected before any step runs', async () => {
    const { sb } = world;
    const repo = 'acme/protected';
    const sha = await sb.push(repo, { branch: 'staging', files: { 'src/hotfix.ts': 'export const hot = true;\n' }, message: 'hotfix', author: 'mallory' });
    const before = world.staging.release().version;
    const [owner, name] = repo.split('/') as [string, string];
    const runsBefore = new Set(sb.runner.runs.map((r) => r.id));
    await as('mallory').actions.createWorkflowDispatch({
      owner,
      repo: name,
      workflow_id: 'stagegate-deploy.yml',
      ref: 'staging',
      inputs: dispatchInputs({ environment: 'staging', sha, deploymentId: null, pullRequest: 1 }),
    });
    const run = await sb.waitForWorkflowRun((r) => r.repo === repo && !runsBefore.has(r.id) && r.status === 'completed', 120_000);
    await sb.settled();
    expect(run.conclusion).toBe('failure');
    expect(run.steps).toEqual([]);
    expect(run.environments[0]).toMatchObject({ state: 'rejected' });
    expect(run.error).toContain('is not the merge commit of a promotion to staging whose gate was green');
    expect(world.staging.release().version).toBe(before);
    const reviewed = await records(repo, 'protection_rule.reviewed');
    expect(reviewed.at(-1)!.details).toMatchObject({ state: 'rejected', sha });
    const refused = (await exported(repo)).filter((r) => r.kind === 'refused');
    expect(refused.map((r) => [r.sha, r.refusal?.by, r.refusal?.runId])).toEqual([[sha, 'protection-rule', run.id]]);
    expect(refused[0]!.refusal?.reason).toContain('is not the merge commit of a promotion to staging whose gate was green');
  }, 180_000);

  it('a protection rule that never answers times the job out: nothing runs', async () => {
    const { sb } = world;
    const repo = 'acme/protected';
    sb.createEnvironment(repo, 'staging', { protectionRules: ['sandbox-ci'] });
    sb.runner.protectionRuleTimeoutMs = 3000;
    try {
      const head = (await sb.repo(repo).git.branchSha('staging')) ?? '';
      const [owner, name] = repo.split('/') as [string, string];
      const runsBefore = new Set(sb.runner.runs.map((r) => r.id));
      await as('carol').actions.createWorkflowDispatch({
        owner,
        repo: name,
        workflow_id: 'stagegate-deploy.yml',
        ref: 'staging',
        inputs: dispatchInputs({ environment: 'staging', sha: head, deploymentId: null, pullRequest: 1 }),
      });
      const run = await sb.waitForWorkflowRun((r) => r.repo === repo && !runsBefore.has(r.id) && r.status === 'completed', 60_000);
      expect(run.conclusion).toBe('failure');
      expect(run.steps).toEqual([]);
      expect(run.environments[0]).toMatchObject({ state: 'timed_out' });
    } finally {
      sb.runner.protectionRuleTimeoutMs = 30 * 24 * 3600_000;
      sb.createEnvironment(repo, 'staging', { protectionRules: ['stagegate'] });
    }
  }, 120_000);
});
