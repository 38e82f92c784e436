import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import { runDeployment } from '../../src/deploy/run-deployment.js';
import { appDeployment, defaultStage, deps, FAKE_ACTIONS_APP, FAKE_APP, FakeDeployGitHub, inputs, makeRepo, RUN_ID, stagePolicy, thisRun, verified, world, type Repo } from './world.js';

let repo: Repo;
const stage = () => stagePolicy(defaultStage());

beforeAll(async () => {
  repo = await makeRepo();
});

afterAll(async () => {
  await repo.cleanup();
});

/** Runs the Action core and checks that nothing ran. */
async function refused(gh: FakeDeployGitHub, id: number | '', extra: Parameters<typeof deps>[3] = {}, sha = repo.sha, more: Partial<Parameters<typeof inputs>[2]> = {}) {
  await writeFile(repo.log, '');
  const r = await runDeployment(inputs(id, sha, more), deps(gh, repo, undefined, extra));
  expect(r.result).toBe('failure');
  expect(await repo.lines()).toEqual([]);
  return r;
}

describe('dispatch mode: only a deployment the app created for an approved promotion deploys', () => {
  it('a deployment a writer created with their own token is refused (not-approved, status error, comment), and nothing runs', async () => {
    const gh = new FakeDeployGitHub();
    const dep = gh.addDeployment({ sha: repo.sha, environment: 'staging', by: null, creator: 'mallory', payload: { stagegate: 1, kind: 'promotion', pull_request: 12 } });
    thisRun(gh, dep);
    const r = await refused(gh, dep.id, {}, repo.sha, { pullRequest: '12' });
    expect(r.reasonCode).toBe('not-approved');
    expect(r.message).toBe(`deployment ${dep.id} was created by mallory, not by the Stagegate app "stagegate": only deployments Stagegate created for an approved promotion deploy`);
    expect(gh.statesOf(dep.id)).toEqual(['error']);
    expect(gh.statuses[0]!.description).toMatch(/^failure: not-approved \(deployment \d+ was created by mallory/);
    expect(gh.comments[0]!.body).toContain('not-approved');
  });

  it('a deployment a workflow created with GITHUB_TOKEN is refused too', async () => {
    const gh = new FakeDeployGitHub();
    const dep = gh.addDeployment({ sha: repo.sha, environment: 'staging', by: FAKE_ACTIONS_APP });
    expect((await refused(gh, dep.id)).message).toContain('was created by the github-actions app (github-actions[bot]), not by the Stagegate app');
  });

  it('an app id works as well as its slug, and another app’s id is refused', async () => {
    const w = world(repo, stage());
    expect((await runDeployment(inputs(w.depId, repo.sha, { app: String(FAKE_APP.id) }), deps(w.gh, repo))).result).toBe('success');
    const w2 = world(repo, stage());
    expect((await refused(w2.gh, w2.depId, {}, repo.sha, { app: '1234' })).reasonCode).toBe('not-approved');
  });

  it.each<[string, unknown, string]>([
    ['no payload', {}, 'it has none'],
    ['a payload of an older Stagegate (no version)', { stage: 'staging', pull_request: 12 }, 'no `stagegate` version'],
    ['a payload that does not name the approved head', { stagegate: 1, kind: 'promotion', stage: 'staging', pull_request: 12 }, 'head'],
  ])('an app deployment with %s is payload-invalid, and this run writes no status on it', async (_n, payload, why) => {
    const gh = new FakeDeployGitHub();
    const dep = gh.addDeployment({ sha: repo.sha, environment: 'staging', by: FAKE_APP, payload });
    thisRun(gh, dep);
    const r = await refused(gh, dep.id);
    expect(r.reasonCode).toBe('payload-invalid');
    expect(r.message).toContain(why);
    expect(gh.statesOf(dep.id)).toEqual([]);
  });

  it('a deployment of another commit, of a branch ref, or for another environment is sha-mismatch', async () => {
    const gh = new FakeDeployGitHub();
    const other = appDeployment(gh, repo.prev, stage());
    expect((await refused(gh, other.id)).message).toMatch(/^deployment \d+ is for [0-9a-f]{12}, not the approved/);
    const branch = gh.addDeployment({ sha: repo.sha, ref: 'staging', environment: 'staging', by: FAKE_APP, payload: other.payload });
    expect((await refused(gh, branch.id)).reasonCode).toBe('sha-mismatch');
    const prod = appDeployment(gh, repo.sha, stagePolicy(defaultStage().replace('name: staging', 'name: production')));
    expect((await refused(gh, prod.id)).message).toContain('it targets environment "production", not "staging"');
  });

  it('a run of another workflow (or branch) may not act on the deployment, nor write its status', async () => {
    const { gh, depId } = world(repo, stage());
    const r = await refused(gh, depId, { workflowRef: 'acme/shop/.github/workflows/evil.yml@refs/heads/feature' });
    expect(r.reasonCode).toBe('not-approved');
    expect(r.message).toBe('this run is of acme/shop/.github/workflows/evil.yml@refs/heads/feature, not of the protected .github/workflows/stagegate-deploy.yml on staging');
    expect(gh.statesOf(depId)).toEqual(['queued']);
  });

  it('a run named for another deployment may not act on this one', async () => {
    const { gh, depId } = world(repo, stage());
    gh.runs.get(RUN_ID)!.displayTitle = `stagegate: deploy ${repo.sha} to staging (deployment 1)`;
    expect((await refused(gh, depId)).message).toContain('not for deployment');
  });

  it('a deployment that already ran is refused without touching its status (a re-dispatch cannot bury its verdict)', async () => {
    const { gh, depId } = world(repo, stage());
    verified(
      gh,
      gh.deployments.find((d) => d.id === depId)!,
      98,
    );
    const before = gh.statesOf(depId);
    const r = await refused(gh, depId);
    expect(r.reasonCode).toBe('already-deployed');
    expect(gh.statesOf(depId)).toEqual(before);
  });

  it('an older approved deployment superseded by a newer one is refused (no unannounced rollback)', async () => {
    const gh = new FakeDeployGitHub();
    const old = appDeployment(gh, repo.sha, stage(), { pr: 11 });
    appDeployment(gh, repo.prev, stage(), { pr: 12 });
    thisRun(gh, old);
    gh.pulls.set(11, { number: 11, state: 'closed', merged: true, mergeCommitSha: repo.sha, headSha: 'c'.repeat(40), headRef: 'master', baseRef: 'staging' });
    const r = await refused(gh, old.id);
    expect(r.reasonCode).toBe('already-deployed');
    expect(r.message).toContain('is superseded by the newer Stagegate deployment');
  });

  it.each<[string, (gh: FakeDeployGitHub) => void, string]>([
    ['not merged', (gh) => void (gh.pulls.get(12)!.merged = false), '#12 is not merged'],
    ['merged as another commit', (gh) => void (gh.pulls.get(12)!.mergeCommitSha = 'e'.repeat(40)), '#12 was merged as eeeeeeeeeeee'],
    ['whose head moved', (gh) => void (gh.pulls.get(12)!.headSha = 'd'.repeat(40)), "#12's head is dddddddddddd, not the approved cccccccccccc"],
    ['into another branch', (gh) => void (gh.pulls.get(12)!.baseRef = 'production'), '#12 targets production, not the stage branch staging'],
  ])('a promotion %s is promotion-mismatch', async (_n, change, why) => {
    const { gh, depId } = world(repo, stage());
    change(gh);
    const r = await refused(gh, depId);
    expect(r.reasonCode).toBe('promotion-mismatch');
    expect(r.message).toContain(why);
  });

  it('a checkout of another commit is refused', async () => {
    const { gh, depId } = world(repo, stage());
    expect((await refused(gh, depId, { checkoutSha: async () => repo.prev })).reasonCode).toBe('sha-mismatch');
  });

  it('bad inputs are input-invalid and write nothing', async () => {
    const { gh, depId } = world(repo, stage());
    const before = gh.statuses.length;
    expect((await refused(gh, depId, {}, 'abc1234')).reasonCode).toBe('input-invalid');
    expect((await refused(gh, depId, {}, repo.sha, { app: '' })).message).toContain('app is empty');
    expect(gh.statuses.length).toBe(before);
  });

  it('an unknown deployment is deployment-not-found and sets no status; GitHub failing is github-error', async () => {
    expect((await refused(new FakeDeployGitHub(), 4242)).reasonCode).toBe('deployment-not-found');
    const { gh, depId } = world(repo, stage());
    gh.failing.add('getDeployment');
    expect((await refused(gh, depId)).reasonCode).toBe('github-error');
  });

  it('an approving policy without deploy.command is config-invalid', async () => {
    const gh = new FakeDeployGitHub();
    const dep = appDeployment(gh, repo.sha, stagePolicy('name: staging\nbranch: staging\nfrom: master\n'));
    thisRun(gh, dep);
    const r = await refused(gh, dep.id);
    expect(r.reasonCode).toBe('config-invalid');
    expect(r.message).toContain('has no deploy.command for stage "staging"');
  });

  it('dry run checks everything and changes nothing', async () => {
    const { gh, depId } = world(repo, stage());
    const statuses = gh.statuses.length;
    const r = await runDeployment(inputs(depId, repo.sha, { dryRun: true }), deps(gh, repo));
    expect([r.result, r.reasonCode]).toEqual(['success', 'dry-run']);
    expect(gh.statuses.length).toBe(statuses);
    expect(gh.comments).toEqual([]);
  });
});

describe('protection-rule mode: the job deployment GitHub created, in an environment the app protects', () => {
  const POLICY = `stages:\n  - name: staging\n    branch: staging\n    from: master\n    deploy: { command: ./deploy.sh }\ndeploy:\n  mode: protection_rule\n`;

  /** A merge commit `repo.sha` (parents: prev, feature), its promotion, and this job's deployment. */
  function protectedWorld(): { gh: FakeDeployGitHub; jobId: number } {
    const gh = new FakeDeployGitHub();
    gh.protection.set('staging', [FAKE_APP]);
    gh.parents.set(repo.sha, [repo.prev, 'f'.repeat(40)]);
    gh.files.set(`acme/shop:.github/stagegate.yml@${repo.prev}`, POLICY);
    gh.pulls.set(12, { number: 12, state: 'closed', merged: true, mergeCommitSha: repo.sha, headSha: 'f'.repeat(40), headRef: 'master', baseRef: 'staging' });
    const job = gh.addDeployment({
      sha: repo.sha,
      ref: 'staging',
      environment: 'staging',
      by: FAKE_ACTIONS_APP,
      states: ['in_progress'],
      logUrl: `https://github.com/acme/shop/actions/runs/${RUN_ID}/job/1`,
    });
    gh.addRun({ id: RUN_ID, headSha: repo.sha, status: 'in_progress', conclusion: null, displayTitle: `stagegate: deploy ${repo.sha} to staging` });
    return { gh, jobId: job.id };
  }

  it('deploys the approved merge commit under the policy of its base before the merge', async () => {
    await writeFile(repo.log, '');
    const { gh, jobId } = protectedWorld();
    const r = await runDeployment(inputs('', repo.sha, { pullRequest: '' }), deps(gh, repo));
    expect([r.result, r.reasonCode, r.mode, r.deploymentId, r.pullRequest]).toEqual(['success', 'ok', 'protection_rule', jobId, 12]);
    expect((await repo.lines())[0]).toMatch(/^v2 /);
    expect(gh.statesOf(jobId)).toEqual(['in_progress', 'in_progress', 'success']);
  });

  it('an environment the app does not protect is not-approved', async () => {
    const { gh } = protectedWorld();
    gh.protection.set('staging', [{ id: 5, slug: 'other-gate' }]);
    const r = await refused(gh, '');
    expect(r.reasonCode).toBe('not-approved');
    expect(r.message).toContain('has no custom deployment protection rule of the Stagegate app "stagegate" (enabled: other-gate)');
  });

  it('without a deployment of this run’s job it is deployment-not-found', async () => {
    const { gh } = protectedWorld();
    gh.statuses.length = 0;
    expect((await refused(gh, '')).message).toContain('the deploy job must set `environment: staging`');
  });

  it('a commit that is not a promotion’s merge commit is promotion-mismatch', async () => {
    const { gh } = protectedWorld();
    gh.parents.set(repo.sha, [repo.prev]);
    expect((await refused(gh, '')).reasonCode).toBe('promotion-mismatch');
  });

  it('a run started for another commit is sha-mismatch', async () => {
    const { gh } = protectedWorld();
    expect((await refused(gh, '', { runSha: repo.prev })).reasonCode).toBe('sha-mismatch');
  });
});
