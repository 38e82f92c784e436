import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { stageSchema, type StageConfig } from '../../src/config/schema.js';
import { FAKE_ACTIONS_APP, FAKE_APP, FakeDeployGitHub } from '../../src/deploy/fake-github.js';
import type { DeploymentInfo } from '../../src/deploy/github.js';
import type { DeploymentDeps, DeploymentInputs } from '../../src/deploy/run-deployment.js';
import { promotionPayload } from '../../src/protocol/deployment-payload.js';
import { runName } from '../../src/protocol/dispatch.js';
import { FakeMetricsSource, type MetricSample } from '../../src/verify/metrics.js';

/** This run of the deploy workflow. */
export const RUN_ID = 99;
export const WORKFLOW_REF = 'acme/shop/.github/workflows/stagegate-deploy.yml@refs/heads/staging';

/**
 * A git work tree with two commits, as a runner's checkout of the deployed commit would be: the
 * previous release (VERSION 1) and the one being deployed (VERSION 2, checked out). Its
 * `deploy.sh` deploys "the workspace": it appends the VERSION it finds in its working directory.
 */
export interface Repo {
  dir: string;
  log: string;
  /** The previous release's commit. */
  prev: string;
  /** The commit being deployed (HEAD). */
  sha: string;
  /** A commit before both. */
  older: string;
  lines(): Promise<string[]>;
  cleanup(): Promise<void>;
}

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: dir, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } }).trim();
}

export async function makeRepo(): Promise<Repo> {
  const dir = await mkdtemp(join(tmpdir(), 'stagegate-ws-'));
  const log = `${dir}.log`;
  git(dir, 'init', '-q', '-b', 'staging');
  await writeFile(
    join(dir, 'deploy.sh'),
    '#!/usr/bin/env bash\necho "v$(cat VERSION) $STAGEGATE_SHA ${STAGEGATE_PREVIOUS_SHA:-} $STAGEGATE_DEPLOYMENT_ID $STAGEGATE_ROLLBACK ${STAGEGATE_ROLLBACK_OF:-} ${INPUT_TOKEN:-none} ${ACTIONS_ID_TOKEN_REQUEST_TOKEN:-no-oidc}" >> "$LOG"\n',
    { mode: 0o755 },
  );
  const commit = async (version: string): Promise<string> => {
    await writeFile(join(dir, 'VERSION'), `${version}\n`);
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', `v${version}`);
    return git(dir, 'rev-parse', 'HEAD');
  };
  const older = await commit('0');
  const prev = await commit('1');
  const sha = await commit('2');
  return {
    dir,
    log,
    prev,
    sha,
    older,
    lines: async () => (existsSync(log) ? (await readFile(log, 'utf8')).split('\n').filter(Boolean) : []),
    async cleanup() {
      await rm(dir, { recursive: true, force: true });
      await rm(log, { force: true });
    },
  };
}

/** A stage policy from YAML (defaults applied), as the payload carries it. */
export function stagePolicy(yaml: string): StageConfig {
  return stageSchema.parse(parse(yaml));
}

/** The default stage: deploy.sh, one passing smoke test. */
export function defaultStage(extra = ''): string {
  return `name: staging
branch: staging
from: master
deploy:
  command: ./deploy.sh
  timeout: 30s
  url: https://staging.example.com
verify:
  smoke:
    - { name: ok, run: "true" }
${extra}`;
}

/** A deployment the Stagegate app created for promotion #12 of `sha`, with the approving policy in its payload. */
export function appDeployment(gh: FakeDeployGitHub, sha: string, stage: StageConfig, over: { head?: string; pr?: number } = {}): DeploymentInfo {
  const payload = promotionPayload({
    stage,
    pullRequest: over.pr ?? 12,
    base: 'b'.repeat(40),
    head: over.head ?? 'c'.repeat(40),
    mergeCommit: sha,
    approvers: [{ login: 'bob', commit: over.head ?? 'c'.repeat(40), at: '2026-01-01T00:00:00Z' }],
    source: { ref: 'b'.repeat(40), path: '.github/stagegate.yml', fellBack: false },
    workflow: { file: 'stagegate-deploy.yml', ref: 'staging' },
  });
  const d = gh.addDeployment({ sha, environment: stage.name, payload, by: FAKE_APP });
  gh.pushStatus(d.id, { state: 'queued', description: 'dispatching stagegate-deploy.yml' }, 'stagegate[bot]');
  gh.pulls.set(over.pr ?? 12, { number: over.pr ?? 12, state: 'closed', merged: true, mergeCommitSha: sha, headSha: over.head ?? 'c'.repeat(40), headRef: 'master', baseRef: stage.name });
  return d;
}

/** Marks `d` deployed and verified by its own successful run (id `runId`). */
export function verified(gh: FakeDeployGitHub, d: DeploymentInfo, runId: number): void {
  gh.addRun({ id: runId, headSha: d.sha, displayTitle: runName({ deploymentId: d.id, sha: d.sha, environment: d.environment }) });
  gh.pushStatus(d.id, { state: 'success', description: 'success: ok', logUrl: `https://github.com/acme/shop/actions/runs/${runId}` }, 'github-actions[bot]');
}

/**
 * The usual world: an older verified release, the previous verified release (`prev`, the
 * rollback target), a production deployment, and the app's deployment of `sha` for this run.
 */
export function world(repo: Repo, stage: StageConfig): { gh: FakeDeployGitHub; prevId: number; depId: number } {
  const gh = new FakeDeployGitHub();
  verified(gh, appDeployment(gh, repo.older, stage, { pr: 10 }), 50);
  const prev = appDeployment(gh, repo.prev, stage, { pr: 11 });
  verified(gh, prev, 60);
  gh.addDeployment({ sha: repo.older, environment: 'production', states: ['success'], by: FAKE_APP });
  const dep = appDeployment(gh, repo.sha, stage);
  thisRun(gh, dep);
  return { gh, prevId: prev.id, depId: dep.id };
}

/** Registers this run (in progress) as the app's dispatch of `d`. */
export function thisRun(gh: FakeDeployGitHub, d: DeploymentInfo): void {
  gh.addRun({ id: RUN_ID, headSha: d.sha, status: 'in_progress', conclusion: null, displayTitle: runName({ deploymentId: d.id, sha: d.sha, environment: d.environment }) });
}

function fakeClock(): { sleep: (ms: number) => Promise<void>; now: () => number } {
  let t = Date.parse('2026-05-01T12:00:00Z');
  return { sleep: async (ms) => void (t += ms), now: () => t };
}

/** The deploy core's dependencies over the fake and the repository. */
export function deps(gh: FakeDeployGitHub, repo: Repo, metrics?: (q: string, round: number) => MetricSample[] | Error, extra: Partial<DeploymentDeps> = {}): DeploymentDeps & { logs: string[] } {
  const logs: string[] = [];
  return {
    github: gh,
    repository: 'acme/shop',
    workspace: repo.dir,
    serverUrl: 'https://github.com',
    runId: String(RUN_ID),
    workflowRef: WORKFLOW_REF,
    runSha: repo.sha,
    defaultBranch: async () => 'master',
    checkoutSha: async () => git(repo.dir, 'rev-parse', 'HEAD'),
    env: { PATH: process.env.PATH, LOG: repo.log, INPUT_TOKEN: 'secret-token', ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'oidc-secret', RUNNER_TEMP: tmpdir() },
    log: { info: (m) => logs.push(`info ${m}`), warning: (m) => logs.push(`warning ${m}`), error: (m) => logs.push(`error ${m}`) },
    metricsSource: () => new FakeMetricsSource(metrics ?? (() => [{ labels: {}, value: 0 }])),
    smokeBackoffMs: 1,
    ...fakeClock(),
    logs,
    ...extra,
  };
}

/** The Action's inputs for deployment `id` of `sha`. */
export function inputs(id: number | '', sha: string, extra: Partial<DeploymentInputs> = {}): DeploymentInputs {
  return { app: 'stagegate', environment: 'staging', sha, deploymentId: String(id), pullRequest: '', dryRun: false, ...extra };
}

export { FAKE_ACTIONS_APP, FAKE_APP, FakeDeployGitHub };
