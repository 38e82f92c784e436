import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The committed bundle under test. */
export const BUNDLE = join(ROOT, 'dist/index.js');

/** A random 40-hex commit SHA. */
export const randomSha = (): string => randomBytes(20).toString('hex');

/**
 * The deploy script used by the tests: logs what it was given, fails for SHAs listed in
 * $FAIL_SHAS, and switches the demo service's release when $DEMO_URL is set.
 */
export const DEPLOY_SCRIPT = `#!/usr/bin/env bash
set -eu
echo "deploying $STAGEGATE_SHA to $STAGEGATE_ENVIRONMENT"
echo "DEPLOYED $STAGEGATE_ENVIRONMENT $STAGEGATE_SHA \${STAGEGATE_PREVIOUS_SHA:-none} $STAGEGATE_DEPLOYMENT_ID $STAGEGATE_ROLLBACK \${INPUT_TOKEN:-no-token} release=$(cat release.txt 2>/dev/null || echo none)"
if [ -n "\${DEPLOY_LOG:-}" ]; then echo "$STAGEGATE_SHA" >> "$DEPLOY_LOG"; fi
if [ -f "\${FAIL_SHAS:-/nonexistent}" ] && grep -qx "$STAGEGATE_SHA" "$FAIL_SHAS"; then
  echo "deploy of $STAGEGATE_SHA failed: image not found" >&2
  exit 3
fi
if [ -n "\${DEMO_URL:-}" ]; then node ./http.mjs POST "$DEMO_URL/admin/deploy?version=$STAGEGATE_SHA"; fi
echo "deployed $STAGEGATE_SHA"
`;

/** `node http.mjs METHOD URL [TEXT]`: prints the body; exits 1 unless 2xx and (when given) the body contains TEXT. */
export const HTTP_SCRIPT = `const [method, url, must] = process.argv.slice(2);
const res = await fetch(url, { method });
const text = await res.text();
process.stdout.write(text + '\\n');
if (!res.ok || (must !== undefined && !text.includes(must))) process.exit(1);
`;

/** A checkout of the deployed commit: a git work tree with config files and the deploy script. */
export interface Workspace {
  dir: string;
  /** The commit checked out (HEAD). */
  sha: string;
  deployLog: string;
  failShas: string;
  /** Lines the deploy script logged: `[env, sha, previous, deploymentId, rollback, token]`. */
  deploys(): Promise<string[][]>;
  cleanup(): Promise<void>;
}

/** Creates a workspace whose files (path → text) are committed; the HEAD SHA is the deployed commit. */
export async function makeWorkspace(files: Record<string, string>): Promise<Workspace> {
  const dir = await mkdtemp(join(tmpdir(), 'stagegate-ws-'));
  const all = { 'deploy.sh': DEPLOY_SCRIPT, 'http.mjs': HTTP_SCRIPT, ...files };
  for (const [p, text] of Object.entries(all)) {
    await mkdir(dirname(join(dir, p)), { recursive: true });
    await writeFile(join(dir, p), text);
  }
  const git = (...args: string[]): string =>
    execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd: dir, encoding: 'utf8' }).trim();
  git('init', '-q');
  git('add', '.');
  git('commit', '-q', '-m', 'release');
  const sha = git('rev-parse', 'HEAD');
  const deployLog = join(dir, '..', `${dir.split('/').pop()}-deploys.log`);
  const failShas = join(dir, '..', `${dir.split('/').pop()}-fail-shas`);
  return {
    dir,
    sha,
    deployLog,
    failShas,
    async deploys() {
      try {
        return (await readFile(deployLog, 'utf8'))
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((l) => l.split(' '));
      } catch {
        return [];
      }
    },
    async cleanup() {
      await rm(dir, { recursive: true, force: true });
      await rm(deployLog, { force: true });
      await rm(failShas, { force: true });
    },
  };
}

/** The outcome of one run of the bundle. */
export interface BundleRun {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  /** The parsed `report` output. */
  report: Record<string, unknown> & { result?: string; reasonCode?: string; message?: string };
}

/** Parses a GITHUB_OUTPUT file (`name<<delimiter` blocks and `name=value` lines). */
export function parseOutputFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delim] = heredoc;
      const value: string[] = [];
      for (i++; i < lines.length && lines[i] !== delim; i++) value.push(lines[i]!);
      out[name!] = value.join('\n');
    } else if (line.includes('=')) {
      out[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1);
    }
  }
  return out;
}

/** Runs `node dist/index.js` with a runner's environment; `inputs` become INPUT_* variables. */
export async function runBundle(opts: {
  apiUrl: string;
  workspace: string;
  inputs: Record<string, string>;
  env?: Record<string, string>;
  repository?: string;
  timeoutMs?: number;
  /** Sends `signal` to the action once its stdout contains `whenStdoutHas` (a cancelled job). */
  cancel?: { whenStdoutHas: string; signal: NodeJS.Signals };
}): Promise<BundleRun> {
  const runnerDir = await mkdtemp(join(tmpdir(), 'stagegate-runner-'));
  const outputFile = join(runnerDir, 'output');
  const summaryFile = join(runnerDir, 'summary');
  const eventFile = join(runnerDir, 'event.json');
  await writeFile(outputFile, '');
  await writeFile(summaryFile, '');
  await writeFile(eventFile, JSON.stringify({ inputs: opts.inputs }));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_API_URL: opts.apiUrl,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_REPOSITORY: opts.repository ?? 'acme/shop',
    GITHUB_RUN_ID: '777',
    GITHUB_EVENT_NAME: 'workflow_dispatch',
    GITHUB_EVENT_PATH: eventFile,
    GITHUB_WORKSPACE: opts.workspace,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    RUNNER_TEMP: runnerDir,
    ...Object.fromEntries(Object.entries(opts.inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v])),
    ...opts.env,
  };
  const child = spawn(process.execPath, [BUNDLE], { cwd: opts.workspace, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let cancelled = false;
  child.stdout.on('data', (b: Buffer) => {
    stdout += b.toString('utf8');
    if (opts.cancel && !cancelled && stdout.includes(opts.cancel.whenStdoutHas)) {
      cancelled = true;
      child.kill(opts.cancel.signal);
    }
  });
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
  const exitCode = await new Promise<number | null>((resolvePromise) => {
    const t = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 90_000);
    child.on('close', (code) => {
      clearTimeout(t);
      resolvePromise(code);
    });
  });
  const outputs = parseOutputFile(await readFile(outputFile, 'utf8'));
  const summary = await readFile(summaryFile, 'utf8');
  await rm(runnerDir, { recursive: true, force: true });
  let report: BundleRun['report'];
  try {
    report = JSON.parse(outputs.report ?? '{}') as BundleRun['report'];
  } catch {
    report = {};
  }
  return { exitCode, stdout, stderr, outputs, summary, report };
}
