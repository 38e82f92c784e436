import { loadConfig, formatConfigError } from '../config/load.js';
import { parseDeploymentPayload, workflowPath, type StagePolicy } from '../protocol/deployment-payload.js';
import { parseRunName } from '../protocol/dispatch.js';
import { GITHUB_ACTIONS_APP_SLUG, isStagegateApp, newestFirst, runIdOf, type TrustPolicy } from '../protocol/evidence.js';
import type { ReasonCode } from '../protocol/status.js';
import type { DeployGitHub, DeploymentInfo } from './github.js';
import { shortSha } from '../text.js';

/** The Action's inputs, as strings the way a runner passes them (already trimmed). */
export interface DeploymentInputs {
  environment: string;
  sha: string;
  /** The deployment the app created (dispatch mode); empty in protection-rule mode. */
  deploymentId: string;
  pullRequest: string;
  /** The Stagegate app: its slug (`stagegate`) or numeric id. */
  app: string;
  dryRun: boolean;
}

/** What the preflight needs besides GitHub. */
export interface PreflightContext {
  github: DeployGitHub;
  /** `owner/repo`. */
  repository: string;
  /** This run's id (GITHUB_RUN_ID). */
  runId: string | null;
  /** `owner/repo/.github/workflows/<file>@<ref>` of this run (GITHUB_WORKFLOW_REF). */
  workflowRef: string | null;
  /** The commit this run was started for (GITHUB_SHA). */
  runSha: string | null;
  /** The repository's default branch (policy fallback in protection-rule mode). */
  defaultBranch: () => Promise<string>;
  /** The commit checked out in the workspace, or null when it cannot be told. */
  checkoutSha?: () => Promise<string | null>;
  warn(message: string): void;
}

/** A deployment the Action may run: approved by Stagegate, with the policy that approved it. */
export interface Approved {
  mode: 'dispatch' | 'protection_rule';
  deployment: DeploymentInfo;
  sha: string;
  pullRequest: number | null;
  /** The stage policy of the promotion's base before the merge. */
  policy: StagePolicy & { deploy: NonNullable<StagePolicy['deploy']> };
  /** What counts as evidence in this repository (for the rollback target). */
  trust: TrustPolicy;
  /**
   * The environment's deployments as the preflight listed them (newest first, at most
   * `ENVIRONMENT_LISTING`), for the previous-verified search to reuse instead of listing again.
   */
  environmentDeployments?: DeploymentInfo[];
}

/** A refusal: nothing runs. `writeStatus` says whether this run may record it on the deployment. */
export interface Refusal {
  code: ReasonCode;
  message: string;
  /** The deployment concerned, when it is known. */
  deployment: DeploymentInfo | null;
  pullRequest: number | null;
  /**
   * True when an `error` status may be written: the deployment is not Stagegate's (a status on it
   * harms nobody), or this run is the deployment's own protected run. A run that is not may never
   * write a status on a Stagegate deployment (it could bury the real run's verdict).
   */
  writeStatus: boolean;
}

/** The preflight's outcome. */
export type Preflight = { ok: true; approved: Approved } | { ok: false; refusal: Refusal };

const SHA = /^[0-9a-f]{40}$/i;
const APP = /^(?:\d+|[a-z0-9](?:[a-z0-9-]{0,33}[a-z0-9])?)$/i;

function positiveInt(s: string): number | null {
  return /^\d+$/.test(s) && Number(s) > 0 && Number.isSafeInteger(Number(s)) ? Number(s) : null;
}

/** `owner/repo/.github/workflows/x.yml@refs/heads/y` → `{ path, ref }` (ref without `refs/heads/`). */
export function parseWorkflowRef(ref: string | null, repository: string): { path: string; ref: string } | null {
  if (!ref) return null;
  const prefix = `${repository}/`;
  if (!ref.toLowerCase().startsWith(prefix.toLowerCase())) return null;
  const at = ref.lastIndexOf('@');
  if (at < 0) return null;
  return { path: ref.slice(prefix.length, at), ref: ref.slice(at + 1).replace(/^refs\/heads\//, '') };
}

function appOf(input: string): TrustPolicy['app'] {
  return /^\d+$/.test(input) ? { id: Number(input), slug: null } : { id: null, slug: input.toLowerCase() };
}

/** How many of the environment's deployments the dispatch preflight lists (newer ones, the rollback target). */
export const ENVIRONMENT_LISTING = 100;

/** A concurrent read's value, or its error thrown where a sequential read would have thrown it. */
function settled<T>(r: PromiseSettledResult<T>): T {
  if (r.status === 'rejected') throw r.reason;
  return r.value;
}

const errMsg = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * Decides whether this run may deploy: only a commit a green Stagegate gate approved, through a
 * deployment Stagegate created (dispatch mode) or a job deployment in an environment the Stagegate
 * app protects (protection-rule mode), from a run of the protected deploy workflow, with the policy
 * of the promotion's base before the merge. Never throws for GitHub errors it can explain.
 */
export async function preflight(inputs: DeploymentInputs, ctx: PreflightContext): Promise<Preflight> {
  const problems: string[] = [];
  if (!inputs.environment) problems.push('environment is empty');
  if (!SHA.test(inputs.sha)) problems.push(`sha "${inputs.sha}" is not a full 40-character commit SHA`);
  const deploymentId = inputs.deploymentId ? positiveInt(inputs.deploymentId) : null;
  if (inputs.deploymentId && deploymentId === null) problems.push(`deployment-id "${inputs.deploymentId}" is not a positive integer`);
  const pr = inputs.pullRequest ? positiveInt(inputs.pullRequest) : null;
  if (inputs.pullRequest && pr === null) problems.push(`pull-request "${inputs.pullRequest}" is not a positive integer`);
  if (!APP.test(inputs.app)) problems.push(inputs.app ? `app "${inputs.app}" is neither an app slug nor a numeric app id` : 'app is empty (set it to your Stagegate app’s slug or id)');
  if (problems.length) return refuse('input-invalid', problems.join('; '), null, pr, false);
  const sha = inputs.sha.toLowerCase();
  return deploymentId !== null ? dispatchMode(inputs, ctx, sha, deploymentId, pr) : protectionRuleMode(inputs, ctx, sha, pr);
}

function refuse(code: ReasonCode, message: string, deployment: DeploymentInfo | null, pullRequest: number | null, writeStatus: boolean): Preflight {
  return { ok: false, refusal: { code, message, deployment, pullRequest, writeStatus } };
}

async function checkout(ctx: PreflightContext, sha: string): Promise<string | null> {
  if (!ctx.checkoutSha) return null;
  const head = await ctx.checkoutSha();
  if (head === null) {
    ctx.warn(`the workspace is not a git work tree; cannot confirm that the checkout is ${sha.slice(0, 12)}`);
    return null;
  }
  return head.toLowerCase() === sha ? null : `the workspace has ${head.slice(0, 12)} checked out, not the approved ${sha.slice(0, 12)} (check out inputs.sha)`;
}

function withDeploy(stage: StagePolicy): Approved['policy'] | null {
  return stage.deploy ? { ...stage, deploy: stage.deploy } : null;
}

async function dispatchMode(inputs: DeploymentInputs, ctx: PreflightContext, sha: string, id: number, prInput: number | null): Promise<Preflight> {
  const gh = ctx.github;
  const d = await gh.getDeployment(id);
  if (!d) return refuse('deployment-not-found', `deployment ${id} does not exist in ${ctx.repository}`, null, prInput, false);
  const app = appOf(inputs.app);
  const ours = isStagegateApp(d.performedViaApp, { app, repository: ctx.repository, workflow: '', ref: '' });
  if (!ours) {
    const who = d.performedViaApp?.slug ? `the ${d.performedViaApp.slug} app${d.creator ? ` (${d.creator})` : ''}` : (d.creator ?? 'an unknown account');
    return refuse(
      'not-approved',
      `deployment ${id} was created by ${who}, not by the Stagegate app "${inputs.app}": only deployments Stagegate created for an approved promotion deploy`,
      d,
      prInput,
      true,
    );
  }
  const parsed = parseDeploymentPayload(d.payload);
  if (parsed.kind !== 'promotion') {
    const why = parsed.kind === 'invalid' ? parsed.why : parsed.kind === 'rollback' ? 'it is a rollback deployment' : 'it has none';
    return refuse('payload-invalid', `deployment ${id} does not carry a Stagegate promotion payload: ${why}`, d, prInput, false);
  }
  const p = parsed.payload;
  const pullRequest = prInput ?? p.pull_request;
  const mismatch: string[] = [];
  if (d.sha.toLowerCase() !== sha) mismatch.push(`deployment ${id} is for ${d.sha.slice(0, 12)}, not the approved ${sha.slice(0, 12)}`);
  else if (d.ref.toLowerCase() !== sha) mismatch.push(`deployment ${id} has ref "${d.ref.slice(0, 40)}", not the approved commit ${sha.slice(0, 12)}`);
  if (d.environment !== inputs.environment) mismatch.push(`it targets environment "${d.environment}", not "${inputs.environment}"`);
  if (p.merge_commit !== d.sha.toLowerCase() || p.stage !== d.environment) mismatch.push(`its payload approves ${p.merge_commit.slice(0, 12)} for ${p.stage}`);
  if (prInput !== null && prInput !== p.pull_request) mismatch.push(`pull-request ${prInput} is not the promotion #${p.pull_request} the payload names`);
  if (mismatch.length) return refuse('sha-mismatch', `${mismatch.join('; ')}; only the approved commit deploys`, d, pullRequest, false);

  // This run must be the deployment's own run of the protected workflow.
  const own = parseWorkflowRef(ctx.workflowRef, ctx.repository);
  if (!own || own.path !== p.policy.workflow.path || own.ref !== p.policy.workflow.ref) {
    return refuse('not-approved', `this run is of ${ctx.workflowRef ?? 'an unknown workflow'}, not of the protected ${p.policy.workflow.path} on ${p.policy.workflow.ref}`, d, pullRequest, false);
  }
  if (!ctx.runId) return refuse('not-approved', 'GITHUB_RUN_ID is not set: the Action deploys only inside a run of the protected deploy workflow', d, pullRequest, false);
  // The remaining reads are independent of each other: made concurrently, then judged in the order
  // the checks are written, so the first failing check (or a read that failed before it is reached)
  // decides exactly as if they had been made one after another.
  const [runRead, statusesRead, listingRead, pullRead, checkoutRead] = await Promise.allSettled([
    gh.getRun(Number(ctx.runId)),
    gh.listStatuses(id),
    gh.listDeployments(d.environment, ENVIRONMENT_LISTING),
    gh.getPull(p.pull_request),
    checkout(ctx, sha),
  ]);
  {
    const run = settled(runRead);
    const named = parseRunName(run?.displayTitle);
    if (!named || named.deploymentId !== id || named.sha !== sha || named.environment !== d.environment) {
      return refuse('not-approved', `this run is named "${run?.displayTitle ?? '?'}", not for deployment ${id} (the workflow needs the documented run-name)`, d, pullRequest, false);
    }
  }
  const statuses = newestFirst(settled(statusesRead));
  const ran = statuses.find((s) => ['in_progress', 'success', 'failure', 'inactive'].includes(s.state));
  if (ran)
    return refuse(
      'already-deployed',
      `deployment ${id} was already picked up (it has status ${ran.state} since ${ran.createdAt}); a deployment runs once — deploy again through Stagegate`,
      d,
      pullRequest,
      false,
    );
  const listing = settled(listingRead);
  const newer = listing.find(
    (o) => o.id > id && isStagegateApp(o.performedViaApp, { app, repository: ctx.repository, workflow: '', ref: '' }) && parseDeploymentPayload(o.payload).kind === 'promotion',
  );
  if (newer)
    return refuse(
      'already-deployed',
      `deployment ${id} is superseded by the newer Stagegate deployment ${newer.id} of ${shortSha(newer.sha)}; deploying it now would roll ${d.environment} back unannounced`,
      d,
      pullRequest,
      true,
    );

  const pull = settled(pullRead);
  const problems: string[] = [];
  if (!pull) problems.push(`pull request #${p.pull_request} does not exist`);
  else {
    if (!pull.merged) problems.push(`#${p.pull_request} is not merged`);
    else if ((pull.mergeCommitSha ?? '').toLowerCase() !== sha) problems.push(`#${p.pull_request} was merged as ${pull.mergeCommitSha?.slice(0, 12) ?? '?'}, not ${sha.slice(0, 12)}`);
    if (pull.headSha.toLowerCase() !== p.head) problems.push(`#${p.pull_request}'s head is ${pull.headSha.slice(0, 12)}, not the approved ${p.head.slice(0, 12)}`);
    if (pull.baseRef !== p.policy.stage.branch) problems.push(`#${p.pull_request} targets ${pull.baseRef}, not the stage branch ${p.policy.stage.branch}`);
  }
  if (problems.length) return refuse('promotion-mismatch', problems.join('; '), d, pullRequest, true);
  const co = settled(checkoutRead);
  if (co) return refuse('sha-mismatch', co, d, pullRequest, true);
  const policy = withDeploy(p.policy.stage);
  if (!policy)
    return refuse(
      'config-invalid',
      `the policy that approved deployment ${id} (${p.policy.source.path} at ${shortSha(p.policy.source.ref)}) has no deploy.command for stage "${p.stage}"`,
      d,
      pullRequest,
      true,
    );
  const trust: TrustPolicy = { app, repository: ctx.repository, workflow: p.policy.workflow.path, ref: p.policy.workflow.ref };
  return { ok: true, approved: { mode: 'dispatch', deployment: d, sha, pullRequest, policy, trust, environmentDeployments: listing } };
}

async function protectionRuleMode(inputs: DeploymentInputs, ctx: PreflightContext, sha: string, prInput: number | null): Promise<Preflight> {
  const gh = ctx.github;
  const env = inputs.environment;
  const app = appOf(inputs.app);
  if (ctx.runSha && ctx.runSha.toLowerCase() !== sha) {
    return refuse(
      'sha-mismatch',
      `this run was started for ${ctx.runSha.slice(0, 12)}, not ${sha.slice(0, 12)}: in protection-rule mode the job's deployment is of the run's commit`,
      null,
      prInput,
      false,
    );
  }
  const apps = await gh.protectionRuleApps(env);
  if (!apps.some((a) => isStagegateApp(a, { app, repository: ctx.repository, workflow: '', ref: '' }))) {
    return refuse(
      'not-approved',
      `no deployment-id was given and environment "${env}" has no custom deployment protection rule of the Stagegate app "${inputs.app}" (enabled: ${apps.map((a) => a.slug ?? a.id).join(', ') || 'none'}); enable it, or pass the deployment the app created`,
      null,
      prInput,
      false,
    );
  }
  const runId = ctx.runId ? Number(ctx.runId) : null;
  let d: DeploymentInfo | null = null;
  if (runId !== null) {
    for (const cand of await gh.listDeployments(env, 30, sha)) {
      if (cand.performedViaApp?.slug !== GITHUB_ACTIONS_APP_SLUG) continue;
      const statuses = await gh.listStatuses(cand.id);
      if (statuses.some((s) => runIdOf(s, ctx.repository) === runId)) {
        d = cand;
        break;
      }
    }
  }
  if (!d) return refuse('deployment-not-found', `no deployment of this run's job was found in "${env}" for ${sha.slice(0, 12)}: the deploy job must set \`environment: ${env}\``, null, prInput, false);

  const parents = await gh.parentsOf(sha);
  const base = parents[0];
  if (parents.length < 2 || !base) return refuse('promotion-mismatch', `${sha.slice(0, 12)} is not a merge commit, so no promotion approved it`, d, prInput, true);
  const [owner, repo] = ctx.repository.split('/') as [string, string];
  const loaded = await loadConfig({ source: gh, owner, repo, baseRef: base, defaultBranch: await ctx.defaultBranch() });
  if (loaded.kind !== 'ok') {
    const why = loaded.kind === 'absent' ? 'there is no .github/stagegate.yml' : loaded.errors.slice(0, 3).map(formatConfigError).join('; ');
    return refuse('config-invalid', `the policy at the promotion's base ${shortSha(base)} cannot be used: ${why}`, d, prInput, true);
  }
  const stage = loaded.config.stages.find((s) => s.name === env);
  if (!stage) return refuse('config-invalid', `the policy at ${shortSha(base)} has no stage named "${env}"`, d, prInput, true);
  const promotions = (await gh.pullsMergedAs(sha)).filter((p) => p.merged && p.baseRef === stage.branch && p.headRef === stage.from);
  const pull = promotions[0];
  if (!pull) return refuse('promotion-mismatch', `${sha.slice(0, 12)} is not the merge commit of a ${stage.from} → ${stage.branch} promotion`, d, prInput, true);
  const pullRequest = prInput ?? pull.number;
  const wf = { path: workflowPath(loaded.config.deploy.workflow), ref: loaded.config.deploy.ref ?? stage.branch };
  const own = parseWorkflowRef(ctx.workflowRef, ctx.repository);
  if (!own || own.path !== wf.path || own.ref !== wf.ref)
    return refuse('not-approved', `this run is of ${ctx.workflowRef ?? 'an unknown workflow'}, not of the protected ${wf.path} on ${wf.ref}`, d, pullRequest, false);
  const co = await checkout(ctx, sha);
  if (co) return refuse('sha-mismatch', co, d, pullRequest, true);
  const { name, branch, from, deploy, verify, auto_rollback, rollback } = stage;
  const policy = withDeploy({ name, branch, from, deploy, verify, auto_rollback, rollback });
  if (!policy) return refuse('config-invalid', `stage "${env}" has no deploy.command in the policy at ${shortSha(base)}`, d, pullRequest, true);
  const trust: TrustPolicy = { app, repository: ctx.repository, workflow: wf.path, ref: wf.ref };
  return { ok: true, approved: { mode: 'protection_rule', deployment: d, sha, pullRequest, policy, trust } };
}

/** For callers that catch: a GitHub failure during the preflight, as a refusal message. */
export function preflightError(err: unknown): string {
  return `could not check the deployment with GitHub: ${errMsg(err)}`;
}
