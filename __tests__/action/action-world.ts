import { join } from 'node:path';
import { Octokit } from '@octokit/rest';
import { parse } from 'yaml';
import { stageSchema } from '../../src/config/schema.js';
import { promotionPayload } from '../../src/protocol/deployment-payload.js';
import { dispatchInputs } from '../../src/protocol/dispatch.js';
import { parseValuesDescription } from '../../src/protocol/verification-values.js';
import { GitHubSandbox, type WorkflowRun } from '../../sandbox/index.js';
import { deployWorkflow } from '../../sandbox/stack.js';
import { DEPLOY_SCRIPT, HTTP_SCRIPT, ROOT } from './harness.js';

/**
 * The Action under test in the one GitHub stand-in: a sandbox (no app process; the test acts as the
 * app with the app's own installation token), `dist/index.js` registered as the Action, and the
 * documented deploy workflow. A release is a real promotion PR merged on the sandbox, the deployment
 * the app would create for it, and the app's dispatch; the runner runs the bundle as GitHub would.
 */
export interface ActionWorld {
  sb: GitHubSandbox;
  /** An Octokit acting as the Stagegate app (installation token). */
  app: Octokit;
  stop(): Promise<void>;
}

const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/** `dist`: the directory of the bundle to register as the Action (default the committed dist/). */
export async function startActionWorld(runnerEnv: Record<string, string> = {}, opts: { dist?: string } = {}): Promise<ActionWorld> {
  const sb = await GitHubSandbox.start({ runnerEnv });
  sb.registerAction('stagegate/stagegate@v1', { entry: join(opts.dist ?? join(ROOT, 'dist'), 'index.js'), actionYml: join(ROOT, 'action.yml') });
  for (const u of ['alice', 'bob', 'carol', 'mallory']) sb.createUser({ login: u, email: `${u}@acme.test` });
  sb.createOrg({ login: 'acme' });
  const inst = sb.installationFor(sb.account('acme'));
  const app = new Octokit({ baseUrl: sb.apiUrl, auth: sb.issueInstallationToken(inst.id).token, log: quiet });
  return { sb, app, stop: () => sb.stop() };
}

/** An Octokit acting as `login` with their own token. */
export function userClient(w: ActionWorld, login: string): Octokit {
  return new Octokit({ baseUrl: w.sb.apiUrl, auth: w.sb.tokenFor(login), log: quiet });
}

/** A repository `acme/<name>` with the deploy script, the HTTP helper and the documented deploy workflow. */
export async function actionRepo(w: ActionWorld, name: string, stage = 'staging'): Promise<string> {
  const full = `acme/${name}`;
  await w.sb.createRepo({
    owner: 'acme',
    name,
    defaultBranch: 'master',
    branches: [stage],
    author: 'bob',
    files: { 'deploy.sh': DEPLOY_SCRIPT, 'http.mjs': HTTP_SCRIPT, 'release.txt': 'v0\n', '.github/workflows/stagegate-deploy.yml': deployWorkflow('stagegate/stagegate@v1') },
  });
  for (const u of ['alice', 'bob', 'carol']) w.sb.addCollaborator(full, u, 'write');
  w.sb.addCollaborator(full, 'mallory', 'write');
  return full;
}

/** A promotion master → `stage` of a new commit (files), merged by carol: the merge commit and the PR. */
export async function mergedPromotion(w: ActionWorld, repo: string, files: Record<string, string>, stage = 'staging'): Promise<{ merge: string; head: string; base: string; pr: number }> {
  const head = await w.sb.push(repo, { branch: 'master', files, message: `release ${Object.values(files).join(' ').trim().slice(0, 20)}`, author: 'alice' });
  const pr = await w.sb.openPullRequest({ repo, head: 'master', base: stage, title: `Promote to ${stage}`, user: 'alice' });
  const base = pr.baseRef === stage ? ((await w.sb.repo(repo).git.branchSha(stage)) ?? '') : '';
  const merge = await w.sb.merge(repo, pr.number, 'carol');
  return { merge, head, base, pr: pr.number };
}

/** What the app does on a green merge: create the deployment (promotion payload with the approving policy), `queued`, dispatch. */
export async function appDeploys(w: ActionWorld, repo: string, p: { merge: string; head: string; base: string; pr: number }, stageYaml: string): Promise<{ deploymentId: number; run: WorkflowRun }> {
  const [owner, name] = repo.split('/') as [string, string];
  const stage = stageSchema.parse(parse(stageYaml));
  const payload = promotionPayload({
    stage,
    pullRequest: p.pr,
    base: p.base,
    head: p.head,
    mergeCommit: p.merge,
    approvers: [{ login: 'bob', commit: p.head, at: new Date().toISOString() }],
    source: { ref: p.base, path: '.github/stagegate.yml', fellBack: false },
    workflow: { file: 'stagegate-deploy.yml', ref: stage.branch },
  });
  const { data } = await w.app.repos.createDeployment({
    owner,
    repo: name,
    ref: p.merge,
    environment: stage.name,
    auto_merge: false,
    required_contexts: [],
    payload: { ...payload },
    description: `Promotion #${p.pr}`,
  });
  const id = (data as { id: number }).id;
  await w.app.repos.createDeploymentStatus({ owner, repo: name, deployment_id: id, state: 'queued', description: 'dispatching stagegate-deploy.yml' });
  const run = await dispatch(w, w.app, repo, stage.branch, dispatchInputs({ environment: stage.name, sha: p.merge, deploymentId: id, pullRequest: p.pr }));
  return { deploymentId: id, run };
}

/** Dispatches the deploy workflow as `client` and waits for its run to complete. */
export async function dispatch(w: ActionWorld, client: Octokit, repo: string, ref: string, inputs: Record<string, string>): Promise<WorkflowRun> {
  const [owner, name] = repo.split('/') as [string, string];
  const before = new Set(w.sb.runner.runs.map((r) => r.id));
  await client.actions.createWorkflowDispatch({ owner, repo: name, workflow_id: 'stagegate-deploy.yml', ref, inputs });
  const run = await w.sb.waitForWorkflowRun((r) => r.repo === repo && !before.has(r.id) && r.status === 'completed', 120_000);
  await w.sb.settled();
  return run;
}

/** The states of a deployment, oldest first (the Action's per-check values statuses apart: {@link valuesOf}). */
export function statesOf(w: ActionWorld, repo: string, id: number): string[] {
  return (
    w.sb
      .repo(repo)
      .deployments.get(id)
      ?.statuses.filter((s) => !parseValuesDescription(s.description))
      .map((s) => s.state) ?? []
  );
}

/** The Action's per-check values statuses of a deployment (src/protocol/verification-values.ts), oldest first. */
export function valuesOf(w: ActionWorld, repo: string, id: number): Array<{ state: string; description: string; logUrl: string | null; creator: string }> {
  return (w.sb.repo(repo).deployments.get(id)?.statuses ?? [])
    .filter((s) => parseValuesDescription(s.description))
    .map((s) => ({ state: s.state, description: s.description ?? '', logUrl: s.logUrl ?? null, creator: s.creator.login }));
}

/** The descriptions of a deployment's statuses, oldest first. */
export function descriptionsOf(w: ActionWorld, repo: string, id: number): string[] {
  return (
    w.sb
      .repo(repo)
      .deployments.get(id)
      ?.statuses.map((s) => s.description) ?? []
  );
}

/** Lines the deploy script logged in a run: `[env, sha, previous, deploymentId, rollback, token]`. */
export function deploysOf(run: WorkflowRun): string[][] {
  return run.stdout
    .split('\n')
    .filter((l) => l.startsWith('DEPLOYED '))
    .map((l) => l.slice('DEPLOYED '.length).split(' '));
}

/** The report comments (by marker) on an issue, with their authors. */
export function reportComments(w: ActionWorld, repo: string, issue: number, deploymentId: number): Array<{ body: string; author: string }> {
  return [...w.sb.repo(repo).comments.values()]
    .filter((c) => c.issueNumber === issue && c.body.includes(`<!-- stagegate:deployment:${deploymentId} -->`))
    .map((c) => ({ body: c.body, author: c.user.login }));
}
