import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MockGitHub } from '../action/testing/mock-github.js';

// Start-up time of the bundled Action: from spawning `node dist/index.js` (with a runner's
// environment, against a local GitHub stand-in) to the first byte of the deploy command's output.
// Everything the Action does before deploying is included: loading the bundle, reading the
// deployment, checking the checkout, parsing the configuration, finding the previous deployment,
// setting `in_progress` and posting the comment.

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BUNDLE = join(ROOT, 'dist/index.js');
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const TOKEN = 'STAGEGATE-FIRST-DEPLOY-BYTE';

interface Sample {
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
      resolvePromise({ firstByteMs, exitMs });
    });
  });
}

async function main(): Promise<void> {
  const gh = new MockGitHub({ validate: false });
  await gh.start();
  const ws = await mkdtemp(join(tmpdir(), 'stagegate-bench-'));
  const runner = await mkdtemp(join(tmpdir(), 'stagegate-bench-runner-'));
  try {
    await mkdir(join(ws, '.github'), { recursive: true });
    await writeFile(
      join(ws, '.github/stagegate.yml'),
      `stages:\n  - name: staging\n    branch: staging\n    from: master\n    deploy:\n      command: printf '${TOKEN}\\n'\n    auto_rollback: false\n`,
    );
    const git = (...args: string[]): string =>
      execFileSync('git', ['-c', 'user.name=Bench', '-c', 'user.email=bench@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd: ws, encoding: 'utf8' }).trim();
    git('init', '-q');
    git('add', '.');
    git('commit', '-q', '-m', 'bench');
    const sha = git('rev-parse', 'HEAD');
    gh.addDeployment({ sha: 'f'.repeat(40), environment: 'staging', states: ['success'] });
    await writeFile(join(runner, 'event.json'), '{}');
    const base: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      GITHUB_ACTIONS: 'true',
      GITHUB_API_URL: gh.apiUrl,
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_REPOSITORY: `${gh.owner}/${gh.repo}`,
      GITHUB_RUN_ID: '1',
      GITHUB_EVENT_PATH: join(runner, 'event.json'),
      GITHUB_WORKSPACE: ws,
      GITHUB_OUTPUT: join(runner, 'output'),
      GITHUB_STEP_SUMMARY: join(runner, 'summary'),
      INPUT_TOKEN: 'bench-token',
      INPUT_ENVIRONMENT: 'staging',
      INPUT_SHA: sha,
      'INPUT_PULL-REQUEST': '1',
    };
    // Warm the file system cache once.
    await runOnce({ ...base, INPUT_SHA: '' }, ws, null);
    const deploys: Sample[] = [];
    const loads: Sample[] = [];
    for (let i = 0; i < RUNS; i++) {
      const dep = gh.addDeployment({ sha, environment: 'staging', payload: { pull_request: 1 } });
      await writeFile(join(runner, 'output'), '');
      await writeFile(join(runner, 'summary'), '');
      deploys.push(await runOnce({ ...base, 'INPUT_DEPLOYMENT-ID': String(dep.id) }, ws, TOKEN));
      const last = gh.statesOf(dep.id).at(-1);
      if (last !== 'success') throw new Error(`bench run ${i} did not succeed (deployment status ${last ?? 'none'})`);
      // Bundle load alone: a run that stops at the first input check.
      loads.push(await runOnce({ ...base, INPUT_SHA: '' }, ws, null));
    }
    const bare: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const t = performance.now();
      execFileSync(process.execPath, ['-e', '']);
      bare.push(performance.now() - t);
    }
    console.log(`action start-up (${RUNS} runs, node ${process.version}, bundle dist/index.js):`);
    console.log(`  process start → first deploy byte:  ${stats(deploys.map((d) => d.firstByteMs))}`);
    console.log(`  process start → exit (deploy done): ${stats(deploys.map((d) => d.exitMs))}`);
    console.log(`  bundle load → exit on input error:  ${stats(loads.map((d) => d.exitMs))}`);
    console.log(`  bare node start (node -e ''):        ${stats(bare)}`);
  } finally {
    await gh.stop();
    await rm(ws, { recursive: true, force: true });
    await rm(runner, { recursive: true, force: true });
  }
}

await main();
