import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Octokit } from '@octokit/rest';
import { stageSchema } from '../src/config/schema.js';
import { promotionPayload } from '../src/protocol/deployment-payload.js';
import { runName } from '../src/protocol/dispatch.js';
import { GitHubSandbox, summarize, type LedgerEntry, type WorkflowRun } from '../sandbox/index.js';

// Start-up time of the bundled Action: from spawning `node dist/index.js` (with a runner's
// environment, against a local GitHub stand-in) to the first byte of the deploy command's output.
// Everything the Action does before deploying is included: loading the bundle, the preflight (the
// deployment, its creator and payload, this run, the promotion PR, the checkout), finding the
// previous verified deployment, setting `in_progress` and posting the comment.

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BUNDLE = join(ROOT, 'dist/index.js');
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const TOKEN = 'STAGEGATE-FIRST-DEPLOY-BYTE';

interface Sample {
  /** When the process was spawned (Date.now(), to cut the sandbox's request ledger). */
  startedAt: number;
  firstByteMs: number;
  exitMs: number;
}

function stats(values: number[]): string {
  const s = [...values].sort((a, b) => a - b);
  const q = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return `median ${q(0.5).toFixed(1)} ms, min ${s[0]!.toFixed(1)} ms, p90 ${q(0.9).toFixed(1)} ms, max ${s[s.length - 1]!.toFixed(1)} ms`;
}

function runOnce(env: NodeJS.ProcessEnv, cwd: string, token: string | null): Promise<Sample> {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const startedAt = Date.now();
    let firstByteMs = -1;
    let seen = '';
    const child = spawn(process.execPath, [BUNDLE], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (b: Buffer) => {
      if (firstByteMs >= 0 || token === null) return;
      seen = (seen + b.toString('utf8')).slice(-4096);
      if (seen.includes(token)) firstByteMs = performance.now() - started;
    });
    child.stderr.resume();
    child.on('error', reject);
    child.on('close', (code) => {
      const exitMs = performance.now() - started;
      if (token !== null && firstByteMs < 0) return reject(new Error(`the deploy command's output never arrived (exit ${code})`));
      resolvePromise({ startedAt, firstByteMs, exitMs });
    });
  });
}

async function main(): Promise<void> {
  // The one GitHub stand-in, in process. The bench plays the app (its installation token creates the
  // deployment) and the runner (a run of the deploy workflow, named for the deployment, in progress).
  const sb = await GitHubSandbox.start();
  const ws = await mkdtemp(join(tmpdir(), 'stagegate-bench-'));
  const runner = await mkdtemp(join(tmpdir(), 'stagegate-bench-runner-'));
  try {
    for (const u of ['alice', 'carol']) sb.createUser({ login: u, email: `${u}@bench.test` });
    sb.createOrg({ login: 'acme' });
    const repo = 'acme/bench';
    await sb.createRepo({ owner: 'acme', name: 'bench', defaultBranch: 'master', branches: ['staging'], author: 'alice', files: { 'README.md': 'bench\n' } });
    for (const u of ['alice', 'carol']) sb.addCollaborator(repo, u, 'write');
    const head = await sb.push(repo, { branch: 'master', files: { 'release.txt': 'bench\n' }, message: 'bench', author: 'alice' });
    const pr = await sb.openPullRequest({ repo, head: 'master', base: 'staging', title: 'Promote', user: 'alice' });
    const base = (await sb.repo(repo).git.branchSha('staging')) ?? '';
    const sha = await sb.merge(repo, pr.number, 'carol');
    const app = new Octokit({
      baseUrl: sb.apiUrl,
      auth: sb.issueInstallationToken(sb.installationFor(sb.account('acme')).id).token,
      log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
    });
    const stage = stageSchema.parse({ name: 'staging', branch: 'staging', from: 'master', deploy: { command: `printf '${TOKEN}\\n'` }, auto_rollback: false });
    const payload = promotionPayload({
      stage,
      pullRequest: pr.number,
      base,
      head,
      mergeCommit: sha,
      approvers: [],
      source: { ref: base, path: '.github/stagegate.yml', fellBack: false },
      workflow: { file: 'stagegate-deploy.yml', ref: 'staging' },
    });
    execFileSync('git', ['clone', '--quiet', '--no-checkout', sb.repo(repo).git.dir, ws]);
    execFileSync('git', ['checkout', '--quiet', '--detach', sha], { cwd: ws });
    await writeFile(join(runner, 'event.json'), '{}');
    const base_env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      GITHUB_ACTIONS: 'true',
      GITHUB_API_URL: sb.apiUrl,
      GITHUB_SERVER_URL: sb.url,
      GITHUB_REPOSITORY: repo,
      GITHUB_WORKFLOW_REF: `${repo}/.github/workflows/stagegate-deploy.yml@refs/heads/staging`,
      GITHUB_SHA: sha,
      GITHUB_EVENT_PATH: join(runner, 'event.json'),
      GITHUB_WORKSPACE: ws,
      GITHUB_OUTPUT: join(runner, 'output'),
      GITHUB_STEP_SUMMARY: join(runner, 'summary'),
      INPUT_TOKEN: sb.issueInstallationToken(sb.installationFor(sb.account('acme')).id, sb.actionsApp).token,
      INPUT_APP: sb.app.slug,
      INPUT_ENVIRONMENT: 'staging',
      INPUT_SHA: sha,
      'INPUT_PULL-REQUEST': String(pr.number),
    };
    // Warm the file system cache once.
    await runOnce({ ...base_env, INPUT_SHA: '' }, ws, null);
    const deploys: Sample[] = [];
    const beforeByte: LedgerEntry[][] = [];
    const loads: Sample[] = [];
    for (let i = 0; i < RUNS; i++) {
      const { data } = await app.repos.createDeployment({ owner: 'acme', repo: 'bench', ref: sha, environment: 'staging', auto_merge: false, required_contexts: [], payload: { ...payload } });
      const id = (data as { id: number }).id;
      const runId = sb.nextId() + 90_000_000;
      const now = new Date().toISOString();
      const run: WorkflowRun = {
        id: runId,
        runNumber: i + 1,
        repo,
        workflowPath: '.github/workflows/stagegate-deploy.yml',
        workflowName: 'stagegate-deploy',
        concurrencyGroup: null,
        displayTitle: runName({ deploymentId: id, sha, environment: 'staging' }),
        event: 'workflow_dispatch',
        ref: 'refs/heads/staging',
        headSha: sha,
        inputs: {},
        actor: `${sb.app.slug}[bot]`,
        status: 'in_progress',
        conclusion: null,
        outputs: {},
        summary: '',
        stdout: '',
        stderr: '',
        steps: [],
        error: null,
        workspace: ws,
        createdAt: now,
        updatedAt: now,
        completedAt: null,
        environments: [],
      };
      sb.runner.history.push(run);
      await writeFile(join(runner, 'output'), '');
      await writeFile(join(runner, 'summary'), '');
      const mark = sb.ledger.mark();
      const sample = await runOnce({ ...base_env, GITHUB_RUN_ID: String(runId), 'INPUT_DEPLOYMENT-ID': String(id) }, ws, TOKEN);
      deploys.push(sample);
      beforeByte.push(sb.ledger.since(mark, (e) => e.at <= sample.startedAt + sample.firstByteMs));
      const last = sb.repo(repo).deployments.get(id)?.statuses.at(-1)?.state;
      if (last !== 'success') throw new Error(`bench run ${i} did not succeed (deployment status ${last ?? 'none'})`);
      // The run completes, as GitHub would record it: the next run's rollback target is this
      // verified deployment (the newest earlier one), not a chain of still-running ones.
      const done = new Date().toISOString();
      Object.assign(run, { status: 'completed', conclusion: 'success', updatedAt: done, completedAt: done });
      // Bundle load alone: a run that stops at the first input check.
      loads.push(await runOnce({ ...base_env, INPUT_SHA: '' }, ws, null));
    }
    if (sb.violations.length) throw new Error(`contract violations: ${JSON.stringify(sb.violations.slice(0, 3))}`);
    const bare: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      execFileSync(process.execPath, ['-e', '']);
      bare.push(performance.now() - t);
    }
    console.log(`action start-up (${RUNS} runs, node ${process.version}, bundle dist/index.js, against the sandbox):`);
    console.log(`  process start → first deploy byte:  ${stats(deploys.map((d) => d.firstByteMs))}`);
    console.log(`  process start → exit (deploy done): ${stats(deploys.map((d) => d.exitMs))}`);
    console.log(`  bundle load → exit on input error:  ${stats(loads.map((d) => d.exitMs))}`);
    console.log(`  bare node start (node -e ''):        ${stats(bare)}`);
    const first = beforeByte[beforeByte.length - 1] ?? [];
    console.log(
      `  requests before the first deploy byte (last run): ${first.length} — ${summarize(first)
        .byRoute.map((r) => `${r.requests}× ${r.route}`)
        .join(', ')}`,
    );
  } finally {
    await sb.stop();
    await rm(ws, { recursive: true, force: true });
    await rm(runner, { recursive: true, force: true });
  }
}

await main();
