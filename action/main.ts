import { execFile } from 'node:child_process';
import * as core from '@actions/core';
import { getOctokit } from '@actions/github';
import { killRunningCommands } from '../src/deploy/command.js';
import { runDeployment, type DeployLog } from '../src/deploy/run-deployment.js';
import type { DeploymentReport } from '../src/deploy/types.js';
import { renderJobSummary } from '../src/render/deploy-report.js';
import { InputError, readBooleanInput, readInput, type OutputName } from './inputs.js';
import { OctokitDeployGitHub } from './github-octokit.js';

function writeOutput(name: OutputName, value: string): void {
  core.setOutput(name, value);
}

/** The commit checked out in `dir`, or null when git cannot tell. */
function gitHead(dir: string): Promise<string | null> {
  return new Promise((resolve) => {
    execFile('git', ['rev-parse', '--verify', 'HEAD'], { cwd: dir, timeout: 10_000 }, (err, stdout) => {
      const sha = stdout?.trim();
      resolve(!err && /^[0-9a-f]{40}$/i.test(sha ?? '') ? sha : null);
    });
  });
}

/** Outputs share the runner's 1 MiB limit: beyond ~900 KB the per-round history and output tails go. */
export const REPORT_OUTPUT_LIMIT = 900_000;

function reportJson(report: DeploymentReport): string {
  const full = JSON.stringify(report);
  if (full.length <= REPORT_OUTPUT_LIMIT) return full;
  const slim = JSON.parse(full) as DeploymentReport;
  for (const a of [slim.attempt, slim.rollback?.attempt]) {
    if (!a) continue;
    if (a.deploy) a.deploy.outputTail = a.deploy.outputTail.slice(-500);
    for (const c of [...a.smoke, ...a.metrics]) {
      delete c.evidence.history;
      if (typeof c.evidence.outputTail === 'string') c.evidence.outputTail = c.evidence.outputTail.slice(-200);
      if (typeof c.evidence.bodyHead === 'string') c.evidence.bodyHead = c.evidence.bodyHead.slice(0, 100);
    }
  }
  slim.warnings.push('report output shortened to fit the output size limit (metric history and output tails cut)');
  const text = JSON.stringify(slim);
  return text.length <= REPORT_OUTPUT_LIMIT ? text : JSON.stringify({ ...slim, attempt: null, rollback: null, warnings: [...slim.warnings, 'checks left out: too large'] });
}

const log: DeployLog = {
  info: (m) => core.info(m),
  warning: (m) => core.warning(m),
  error: (m) => core.error(m),
  group: (name, fn) => core.group(name, fn),
};

/** A cancelled job gets SIGINT then SIGTERM: stop the deploy command's process group too. */
function stopCommandsOnCancel(): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      const n = killRunningCommands('SIGTERM');
      core.error(`stagegate: cancelled (${signal})${n ? `; stopped ${n} running command(s)` : ''}; the deployment is left in_progress`);
      process.exit(1);
    });
  }
}

/** The action: inputs → configuration → core → outputs, with one catch. */
export async function run(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  stopCommandsOnCancel();
  let report: DeploymentReport | null = null;
  try {
    const inputs = {
      app: readInput('app', env),
      environment: readInput('environment', env),
      sha: readInput('sha', env),
      deploymentId: readInput('deployment-id', env),
      pullRequest: readInput('pull-request', env),
      dryRun: readBooleanInput('dry-run', env),
    };
    if (env.INPUT_CONFIG)
      core.warning('stagegate: the config input is no longer read: the policy comes from the promotion that approved the deployment (its base before the merge), never from the deployed commit');
    const token = readInput('token', env);
    if (!token) throw new InputError('input token is empty (pass ${{ github.token }} or a token with deployments: write)');
    const repository = env.GITHUB_REPOSITORY ?? '';
    const [owner, repo] = repository.split('/');
    if (!owner || !repo) throw new InputError(`GITHUB_REPOSITORY "${repository}" is not owner/repo`);
    const workspace = env.GITHUB_WORKSPACE || process.cwd();
    core.setSecret(token);
    const github = new OctokitDeployGitHub(getOctokit(token), owner, repo);
    report = await runDeployment(inputs, {
      github,
      repository,
      workspace,
      serverUrl: (env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/+$/, ''),
      runId: env.GITHUB_RUN_ID || null,
      workflowRef: env.GITHUB_WORKFLOW_REF || null,
      runSha: env.GITHUB_SHA || null,
      defaultBranch: () => github.defaultBranch(),
      env,
      log,
      onDeployOutput: (chunk, stream) => (stream === 'stdout' ? process.stdout : process.stderr).write(chunk),
      checkoutSha: () => gitHead(workspace),
    });
    writeOutput('result', report.result);
    writeOutput('reason-code', report.reasonCode);
    writeOutput('report', reportJson(report));
    try {
      await core.summary.addRaw(renderJobSummary(report), true).write();
    } catch (err) {
      core.warning(`stagegate: could not write the job summary: ${(err as Error).message}`);
    }
    if (report.result === 'success') core.info(`stagegate: ${report.result}: ${report.reasonCode}: ${report.message}`);
    else core.setFailed(`stagegate: ${report.result}: ${report.reasonCode}: ${report.message}`);
  } catch (err) {
    const code = err instanceof InputError ? 'input-invalid' : 'internal-error';
    const message = err instanceof Error ? err.message : String(err);
    if (!report) {
      writeOutput('result', 'failure');
      writeOutput('reason-code', code);
      writeOutput('report', JSON.stringify({ version: 1, result: 'failure', reasonCode: code, message }));
    }
    core.setFailed(`stagegate: failure: ${code}: ${message}`);
  }
}
