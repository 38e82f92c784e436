import { isAbsolute, relative, resolve } from 'node:path';
import { readFile } from 'node:fs/promises';
import { durationMs } from '../config/duration.js';
import { formatConfigError, parseConfig, resolveConfigText } from '../config/load.js';
import type { Config, StageConfig } from '../config/schema.js';
import { deploymentMarker, renderDeployReport, renderInProgress, statusDescription } from '../render/deploy-report.js';
import { runSmokeChecks } from '../verify/smoke.js';
import { PrometheusSource, watchMetrics, type MetricsSource } from '../verify/metrics.js';
import { describeOutcome, runShellCommand, type CommandRunner } from './command.js';
import { fitDescription, GitHubError, type DeployGitHub, type DeploymentInfo, type DeploymentState, type StatusInput } from './github.js';
import type { CheckResult, DeployAttempt, DeploymentReport, ReasonCode, RollbackReport } from './types.js';

/** The action's inputs, as strings the way a runner passes them (already trimmed). */
export interface DeploymentInputs {
  environment: string;
  sha: string;
  deploymentId: string;
  pullRequest: string;
  /** Path of the configuration file relative to the workspace. */
  config: string;
  dryRun: boolean;
}

/** A logger; the action maps it to `@actions/core`. */
export interface DeployLog {
  info(message: string): void;
  warning(message: string): void;
  /** Loud: an annotation on the run. */
  error(message: string): void;
  group?<T>(name: string, fn: () => Promise<T>): Promise<T>;
}

/** Everything `runDeployment` needs from the outside world. */
export interface DeploymentDeps {
  github: DeployGitHub;
  /** `owner/repo`. */
  repository: string;
  /** The checkout of the deployed commit (GITHUB_WORKSPACE). */
  workspace: string;
  /** `https://github.com` or a GHES URL (GITHUB_SERVER_URL). */
  serverUrl: string;
  runId: string | null;
  /** The environment deploy and smoke commands inherit (INPUT_* variables are removed). */
  env: NodeJS.ProcessEnv;
  log: DeployLog;
  /** Receives the deploy command's output as it arrives. */
  onDeployOutput?: (chunk: Buffer, stream: 'stdout' | 'stderr') => void;
  runCommand?: CommandRunner;
  /** The metrics source for a stage's metrics URL (default: Prometheus). */
  metricsSource?: (url: string) => MetricsSource;
  /** The commit checked out in the workspace, or null when it cannot be told (not a git work tree). */
  checkoutSha?: () => Promise<string | null>;
  /** First smoke retry delay (default 1s; tests use less). */
  smokeBackoffMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/** How many earlier deployments are examined when looking for the previous good one. */
export const PREVIOUS_SEARCH_LIMIT = 30;

const SHA = /^[0-9a-f]{40}$/i;

function parsePositiveInt(s: string): number | null {
  return /^\d+$/.test(s) && Number(s) > 0 && Number.isSafeInteger(Number(s)) ? Number(s) : null;
}

function prFromPayload(payload: Record<string, unknown>): number | null {
  const v = payload.pull_request;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v > 0) return v;
  if (typeof v === 'string') return parsePositiveInt(v);
  return null;
}

const errMsg = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** The newest deployment in `environment` created before `current` whose latest status is `success`. */
export async function findPreviousSuccessful(gh: DeployGitHub, environment: string, current: DeploymentInfo): Promise<DeploymentInfo | null> {
  const list = await gh.listDeployments(environment, 100);
  const t = Date.parse(current.createdAt);
  const earlier = list
    .filter((d) => d.id !== current.id && d.environment === environment)
    .filter((d) => {
      const dt = Date.parse(d.createdAt);
      return dt < t || (dt === t && d.id < current.id);
    })
    .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || b.id - a.id);
  for (const d of earlier.slice(0, PREVIOUS_SEARCH_LIMIT)) {
    if ((await gh.latestStatus(d.id)) === 'success') return d;
  }
  return null;
}

/**
 * Parses the configuration text; when it has `_extends`, merges the org defaults read through
 * GitHub (the same rules as the app: src/config/load.ts). Errors come formatted as file:line:col.
 */
async function loadStageConfig(text: string, file: string, owner: string, gh: DeployGitHub): Promise<{ ok: true; config: Config } | { ok: false; errors: string[] }> {
  const parsed = parseConfig(text, file);
  if (parsed.ok && parsed.config._extends === undefined) return { ok: true, config: parsed.config };
  const hasExtends = parsed.ok || /^_extends\s*:/m.test(text);
  if (!parsed.ok && !hasExtends) return { ok: false, errors: parsed.errors.map(formatConfigError) };
  const r = await resolveConfigText({ text, file, owner, source: gh, origin: { ref: 'workspace', fellBack: false } });
  if (r.kind === 'ok') return { ok: true, config: r.config };
  if (r.kind === 'invalid') return { ok: false, errors: r.errors.map(formatConfigError) };
  return { ok: false, errors: [`${file}: no configuration`] };
}

/** Removes the action's own inputs (the token among them) from the environment given to commands. */
export function commandBaseEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith('INPUT_')));
}

/**
 * Deploys the approved commit of one deployment, verifies it (smoke tests, metric checks), records
 * the outcome as deployment statuses and a PR comment, and rolls back on failure when the stage
 * says so. Never throws: every failure becomes a report with a reason code.
 */
export async function runDeployment(inputs: DeploymentInputs, deps: DeploymentDeps): Promise<DeploymentReport> {
  const now = deps.now ?? Date.now;
  const started = now();
  const report: DeploymentReport = {
    version: 1,
    result: 'failure',
    reasonCode: 'internal-error',
    message: '',
    dryRun: inputs.dryRun,
    repository: deps.repository,
    environment: inputs.environment,
    sha: inputs.sha,
    deploymentId: parsePositiveInt(inputs.deploymentId),
    pullRequest: inputs.pullRequest ? parsePositiveInt(inputs.pullRequest) : null,
    previousSha: null,
    environmentUrl: null,
    deployTimeout: null,
    runUrl: deps.runId ? `${deps.serverUrl}/${deps.repository}/actions/runs/${deps.runId}` : null,
    compareUrl: null,
    attempt: null,
    rollback: null,
    rollbackSkipped: null,
    startedAt: new Date(started).toISOString(),
    finishedAt: '',
    durationMs: 0,
    warnings: [],
  };
  try {
    await execute(inputs, deps, report);
  } catch (err) {
    report.result = 'failure';
    report.reasonCode = err instanceof GitHubError ? 'github-error' : 'internal-error';
    report.message = errMsg(err);
    deps.log.error(`stagegate: ${report.reasonCode}: ${report.message}`);
  }
  const finished = now();
  report.finishedAt = new Date(finished).toISOString();
  report.durationMs = finished - started;
  return report;
}

async function execute(inputs: DeploymentInputs, deps: DeploymentDeps, report: DeploymentReport): Promise<void> {
  const { github: gh, log } = deps;
  const writes = !inputs.dryRun;
  const setStatus = async (id: number, s: StatusInput): Promise<void> => {
    if (!writes) return;
    await gh.createStatus(id, { ...s, description: fitDescription(s.description), ...(report.runUrl ? { logUrl: report.runUrl } : {}) });
  };
  const comment = async (body: string): Promise<void> => {
    if (!writes || report.pullRequest === null || report.deploymentId === null) return;
    try {
      const ref = await gh.upsertComment(report.pullRequest, deploymentMarker(report.deploymentId), body);
      log.info(`stagegate: ${ref.created ? 'posted' : 'updated'} the report on pull request #${report.pullRequest}: ${ref.url}`);
    } catch (err) {
      const w = `could not write the comment on pull request #${report.pullRequest}: ${errMsg(err)}`;
      report.warnings.push(w);
      log.warning(`stagegate: ${w}`);
    }
  };
  /** Ends the run without deploying: status `error` (when there is a deployment), a comment. */
  const refuse = async (code: ReasonCode, message: string, deploymentKnown: boolean): Promise<void> => {
    report.result = 'failure';
    report.reasonCode = code;
    report.message = message;
    log.error(`stagegate: refused: ${code}: ${message}`);
    if (deploymentKnown && report.deploymentId !== null) {
      try {
        await setStatus(report.deploymentId, { state: 'error', description: statusDescription('failure', code, message) });
      } catch (err) {
        report.warnings.push(`could not set the deployment status to error: ${errMsg(err)}`);
      }
      await comment(renderDeployReport(report));
    }
  };

  // 1. Inputs.
  const problems: string[] = [];
  if (!inputs.environment) problems.push('environment is empty');
  if (!SHA.test(inputs.sha)) problems.push(`sha "${inputs.sha}" is not a full 40-character commit SHA`);
  if (report.deploymentId === null) problems.push(`deployment-id "${inputs.deploymentId}" is not a positive integer`);
  if (inputs.pullRequest && report.pullRequest === null) problems.push(`pull-request "${inputs.pullRequest}" is not a positive integer`);
  if (problems.length) return refuse('input-invalid', problems.join('; '), report.deploymentId !== null);
  const deploymentId = report.deploymentId!;
  const sha = inputs.sha.toLowerCase();
  report.sha = sha;

  // 2. The deployment must exist and be for this commit and environment.
  let deployment: DeploymentInfo | null;
  try {
    deployment = await gh.getDeployment(deploymentId);
  } catch (err) {
    report.reasonCode = 'github-error';
    report.message = `could not read deployment ${deploymentId}: ${errMsg(err)}`;
    log.error(`stagegate: ${report.message}`);
    return;
  }
  if (!deployment) return refuse('deployment-not-found', `deployment ${deploymentId} does not exist in ${deps.repository}`, false);
  report.pullRequest ??= prFromPayload(deployment.payload);
  const mismatch: string[] = [];
  if (deployment.sha.toLowerCase() !== sha) mismatch.push(`deployment ${deploymentId} is for ${deployment.sha.slice(0, 12)}, not the approved ${sha.slice(0, 12)}`);
  else if (deployment.ref.toLowerCase() !== sha) mismatch.push(`deployment ${deploymentId} has ref "${deployment.ref.slice(0, 40)}", not the approved commit ${sha.slice(0, 12)}`);
  if (deployment.environment !== inputs.environment) mismatch.push(`it targets environment "${deployment.environment}", not "${inputs.environment}"`);
  if (mismatch.length) return refuse('sha-mismatch', `${mismatch.join('; ')}; only the approved commit deploys`, true);
  if (deps.checkoutSha) {
    const head = await deps.checkoutSha();
    if (head === null) log.warning(`stagegate: ${deps.workspace} is not a git work tree; cannot confirm that the checkout is ${sha.slice(0, 12)}`);
    else if (head.toLowerCase() !== sha) return refuse('sha-mismatch', `the workspace has ${head.slice(0, 12)} checked out, not the approved ${sha.slice(0, 12)} (check out inputs.sha)`, true);
  }

  // 3. Configuration from the checkout of the deployed commit.
  const cfgPath = isAbsolute(inputs.config) ? inputs.config : resolve(deps.workspace, inputs.config);
  const cfgName = relative(deps.workspace, cfgPath) || inputs.config;
  let text: string;
  try {
    text = await readFile(cfgPath, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return refuse('config-invalid', code === 'ENOENT' ? `${cfgName} does not exist in the checkout` : `cannot read ${cfgName}: ${errMsg(err)}`, true);
  }
  const owner = deps.repository.split('/')[0] ?? '';
  const loaded = await loadStageConfig(text, cfgName, owner, gh);
  if (!loaded.ok) {
    const lines = loaded.errors;
    return refuse('config-invalid', lines.length > 3 ? `${lines.slice(0, 3).join('; ')} (and ${lines.length - 3} more)` : lines.join('; '), true);
  }
  const config = loaded.config;
  const stage = config.stages.find((s) => s.name === inputs.environment);
  if (!stage) return refuse('config-invalid', `${cfgName}: no stage is named "${inputs.environment}" (stages: ${config.stages.map((s) => s.name).join(', ')})`, true);
  if (!stage.deploy) return refuse('config-invalid', `${cfgName}: stage "${stage.name}" has no deploy.command`, true);
  report.environmentUrl = stage.deploy.url ?? null;
  report.deployTimeout = stage.deploy.timeout;

  // 4. The previous good deployment: what is running now, and the rollback target.
  let previous: DeploymentInfo | null;
  try {
    previous = await findPreviousSuccessful(gh, inputs.environment, deployment);
  } catch (err) {
    return refuse('github-error', `could not list earlier deployments of ${inputs.environment}: ${errMsg(err)}`, true);
  }
  report.previousSha = previous?.sha ?? null;
  if (previous && previous.sha !== sha) report.compareUrl = `${deps.serverUrl}/${deps.repository}/compare/${previous.sha}...${sha}`;
  log.info(`stagegate: deploying ${sha} to ${inputs.environment} (deployment ${deploymentId}); previous successful deployment: ${previous ? `${previous.id} at ${previous.sha}` : 'none'}`);

  if (inputs.dryRun) {
    report.result = 'success';
    report.reasonCode = 'dry-run';
    const checks = (stage.verify?.smoke.length ?? 0) + (stage.verify?.metrics?.checks.length ?? 0);
    report.message = `would run "${stage.deploy.command}" then ${checks} check(s); nothing was deployed or changed`;
    log.info(`stagegate: dry run: ${report.message}`);
    return;
  }

  // 5. Deploy and verify.
  await setStatus(deploymentId, { state: 'in_progress', description: `in_progress: deploying ${sha.slice(0, 7)}` });
  await comment(renderInProgress({ environment: inputs.environment, sha, deploymentId, previousSha: report.previousSha, runUrl: report.runUrl, compareUrl: report.compareUrl }));
  const attempt = await deployAndVerify(deps, stage, {
    deploymentId,
    sha,
    previousSha: report.previousSha,
    pullRequest: report.pullRequest,
    rollbackOf: null,
    withMetrics: true,
  });
  report.attempt = attempt;

  if (attempt.reasonCode === 'ok') {
    try {
      await setStatus(deploymentId, {
        state: 'success',
        description: statusDescription('success', 'ok', `verified ${sha.slice(0, 7)}`),
        ...(stage.deploy.url ? { environmentUrl: stage.deploy.url } : {}),
      });
      report.result = 'success';
      report.reasonCode = 'ok';
      report.message = attempt.message;
    } catch (err) {
      report.reasonCode = 'github-error';
      report.message = `deployed and verified, but the success status could not be recorded: ${errMsg(err)}`;
      log.error(`stagegate: ${report.message}`);
    }
    await comment(renderDeployReport(report));
    return;
  }

  // 6. Failure, and rollback.
  report.result = 'failure';
  report.reasonCode = attempt.reasonCode;
  report.message = attempt.message;
  log.error(`stagegate: deploy of ${sha.slice(0, 7)} to ${inputs.environment} failed: ${attempt.reasonCode}: ${attempt.message}`);
  const willRollBack = stage.auto_rollback && previous !== null;
  try {
    await setStatus(deploymentId, {
      state: 'failure',
      description: statusDescription('failure', attempt.reasonCode, `${attempt.message}${willRollBack ? `; rolling back to ${previous!.sha.slice(0, 7)}` : ''}`),
    });
  } catch (err) {
    report.warnings.push(`could not set the failure status on deployment ${deploymentId}: ${errMsg(err)}`);
  }
  if (!stage.auto_rollback) report.rollbackSkipped = `auto_rollback is off for stage "${stage.name}"`;
  else if (!previous) report.rollbackSkipped = `there is no earlier successful deployment in "${inputs.environment}" to roll back to`;
  if (willRollBack) {
    report.rollback = await rollBack(deps, stage, { failed: deployment, previous: previous!, pullRequest: report.pullRequest, runUrl: report.runUrl });
    if (report.rollback.succeeded) {
      report.result = 'rolled_back';
      log.warning(`stagegate: rolled back ${inputs.environment} to ${previous!.sha}`);
    } else {
      report.result = 'failure';
      report.reasonCode = 'rollback-failed';
      report.message = `${attempt.reasonCode}: ${attempt.message}; then the rollback to ${previous!.sha.slice(0, 7)} failed: ${report.rollback.message}`;
      log.error(`stagegate: ROLLBACK FAILED: ${inputs.environment} is in an unknown state: ${report.message}`);
    }
  }
  await comment(renderDeployReport(report));
}

interface Target {
  deploymentId: number;
  sha: string;
  previousSha: string | null;
  pullRequest: number | null;
  rollbackOf: number | null;
  withMetrics: boolean;
}

function firstFailure(checks: CheckResult[]): CheckResult | undefined {
  return checks.find((c) => c.verdict === 'fail');
}

/** Runs the deploy command for one target, then its smoke tests and (optionally) metric checks. */
async function deployAndVerify(deps: DeploymentDeps, stage: StageConfig, t: Target): Promise<DeployAttempt> {
  const deployCfg = stage.deploy!;
  const env: NodeJS.ProcessEnv = {
    ...commandBaseEnv(deps.env),
    STAGEGATE_ENVIRONMENT: stage.name,
    STAGEGATE_SHA: t.sha,
    STAGEGATE_PREVIOUS_SHA: t.previousSha ?? '',
    STAGEGATE_DEPLOYMENT_ID: String(t.deploymentId),
    STAGEGATE_PULL_REQUEST: t.pullRequest !== null ? String(t.pullRequest) : '',
    STAGEGATE_ROLLBACK: t.rollbackOf !== null ? 'true' : 'false',
    STAGEGATE_ROLLBACK_OF: t.rollbackOf !== null ? String(t.rollbackOf) : '',
  };
  const attempt: DeployAttempt = { deploymentId: t.deploymentId, sha: t.sha, deploy: null, smoke: [], metrics: [], reasonCode: 'ok', message: '' };
  const group = deps.log.group ?? (<T>(_name: string, fn: () => Promise<T>) => fn());
  const run = deps.runCommand ?? runShellCommand;
  const label = t.rollbackOf !== null ? `rollback to ${t.sha.slice(0, 7)}` : `deploy ${t.sha.slice(0, 7)}`;
  const deploy = await group(`stagegate: ${label}: ${deployCfg.command}`, () =>
    run({ command: deployCfg.command, cwd: deps.workspace, env, timeoutMs: durationMs(deployCfg.timeout), onOutput: deps.onDeployOutput, tailChars: 4096 }),
  );
  attempt.deploy = deploy;
  if (deploy.timedOut) return { ...attempt, reasonCode: 'deploy-timeout', message: `deploy command timed out after ${deployCfg.timeout}` };
  if (deploy.spawnError || deploy.exitCode !== 0) return { ...attempt, reasonCode: 'deploy-failed', message: `deploy command: ${describeOutcome(deploy)}` };

  const smokeChecks = stage.verify?.smoke ?? [];
  if (smokeChecks.length) {
    attempt.smoke = await group(`stagegate: smoke tests (${smokeChecks.length})`, async () => {
      const results = await runSmokeChecks(smokeChecks, {
        cwd: deps.workspace,
        env,
        concurrency: stage.verify?.smoke_concurrency ?? 4,
        ...(deps.smokeBackoffMs !== undefined ? { backoffBaseMs: deps.smokeBackoffMs } : {}),
        ...(deps.runCommand ? { runCommand: deps.runCommand } : {}),
        ...(deps.sleep ? { sleep: deps.sleep } : {}),
      });
      for (const r of results) deps.log.info(`  ${r.verdict === 'pass' ? 'pass' : 'FAIL'} ${r.name}: ${r.observed}${r.reason ? ` (${r.reason})` : ''} in ${r.durationMs}ms`);
      return results;
    });
    const bad = firstFailure(attempt.smoke);
    if (bad) return { ...attempt, reasonCode: 'smoke-failed', message: `${bad.name}: ${bad.reason ?? bad.observed}` };
  }

  const metrics = t.withMetrics ? stage.verify?.metrics : undefined;
  if (metrics) {
    const source = (deps.metricsSource ?? ((url: string) => new PrometheusSource(url)))(metrics.url);
    const outcome = await group(`stagegate: metric checks for ${metrics.window}, every ${metrics.interval}`, () =>
      watchMetrics(metrics, source, {
        ...(deps.sleep ? { sleep: deps.sleep } : {}),
        ...(deps.now ? { now: deps.now } : {}),
        onRound: (round, checks) => deps.log.info(`  round ${round + 1}: ${checks.map((c) => `${c.name}=${c.observed}`).join('; ')}`),
      }),
    );
    attempt.metrics = outcome.checks;
    if (outcome.reasonCode !== 'ok') return { ...attempt, reasonCode: outcome.reasonCode, message: outcome.message };
  }
  const parts = [`deploy ${describeOutcome(deploy)}`];
  if (attempt.smoke.length) parts.push(`${attempt.smoke.length} smoke test(s) passed`);
  if (attempt.metrics.length) parts.push(`${attempt.metrics.length} metric check(s) passed`);
  return { ...attempt, reasonCode: 'ok', message: parts.join(', ') };
}

/**
 * Redeploys the previous good SHA as a NEW deployment (payload `rollback_of`), so the newest
 * deployment in the environment always reflects what runs; smoke-tests it and sets its status.
 */
async function rollBack(deps: DeploymentDeps, stage: StageConfig, r: { failed: DeploymentInfo; previous: DeploymentInfo; pullRequest: number | null; runUrl: string | null }): Promise<RollbackReport> {
  const { github: gh, log } = deps;
  const base: RollbackReport = { fromSha: r.failed.sha, toSha: r.previous.sha, previousDeploymentId: r.previous.id, attempt: null, succeeded: false, message: '' };
  log.info(`stagegate: rolling back ${stage.name} from ${r.failed.sha.slice(0, 7)} to ${r.previous.sha.slice(0, 7)} (deployment ${r.previous.id})`);
  let created: DeploymentInfo;
  try {
    created = await gh.createDeployment({
      ref: r.previous.sha,
      environment: stage.name,
      payload: { rollback_of: r.failed.id, stage: stage.name, pull_request: r.pullRequest },
      description: `Stagegate rollback of deployment ${r.failed.id}`,
    });
  } catch (err) {
    return { ...base, message: `could not create the rollback deployment: ${errMsg(err)}` };
  }
  const status = async (state: DeploymentState, description: string, extra: Partial<StatusInput> = {}): Promise<string | null> => {
    try {
      await gh.createStatus(created.id, { state, description: fitDescription(description), ...(r.runUrl ? { logUrl: r.runUrl } : {}), ...extra });
      return null;
    } catch (err) {
      return errMsg(err);
    }
  };
  const inProgressError = await status('in_progress', `in_progress: rolling back to ${r.previous.sha.slice(0, 7)}`);
  if (inProgressError) log.warning(`stagegate: could not mark rollback deployment ${created.id} in_progress: ${inProgressError}`);
  const attempt = await deployAndVerify(deps, stage, {
    deploymentId: created.id,
    sha: r.previous.sha,
    previousSha: r.failed.sha,
    pullRequest: r.pullRequest,
    rollbackOf: r.failed.id,
    withMetrics: false,
  });
  if (attempt.reasonCode === 'ok') {
    const err = await status(
      'success',
      statusDescription('success', 'ok', `rollback of deployment ${r.failed.id} to ${r.previous.sha.slice(0, 7)}`),
      stage.deploy?.url ? { environmentUrl: stage.deploy.url } : {},
    );
    if (err) return { ...base, attempt, message: `the rollback deployed and passed its smoke tests, but its success status could not be recorded: ${err}` };
    return { ...base, attempt, succeeded: true, message: attempt.message };
  }
  const err = await status('failure', statusDescription('failure', 'rollback-failed', `${attempt.reasonCode}: ${attempt.message}`));
  const msg = `${attempt.reasonCode}: ${attempt.message}`;
  return { ...base, attempt, message: err ? `${msg} (and its failure status could not be recorded: ${err})` : msg };
}
