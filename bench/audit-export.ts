/**
 * Audit export benchmark (`npm run bench`): records 100,000 deployments (with their statuses,
 * verifications, promotion commits and some rollbacks) into a temp embedded store, then runs the
 * real CLI export (`stagegate audit export`) to /dev/null in a child process and prints rows/s and
 * that process's peak RSS, for the full range and for a tenth of it (memory should not grow with
 * rows; a run with the V8 heap capped shows it is bounded), and `audit verify` over the chain. The
 * export verifies the chain before it writes a row, so its time includes a full verify.
 * Repeats against a PostgreSQL server started on loopback when its binaries are installed.
 * Figures only; nothing is asserted.
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPostgres } from '../sandbox/services/postgres.js';
import { openAuditStore } from '../src/audit/open.js';
import { promotionCommitsKey, type AuditEventInput } from '../src/audit/types.js';
import { main } from '../src/cli/stagegate.js';

const DEPLOYMENTS = Number(process.env['BENCH_DEPLOYMENTS'] ?? 100_000);
const REPO = 'acme/shop';
const BATCH = 2_000;
const START = Date.UTC(2020, 0, 1);
const STEP_MS = 15 * 60 * 1000;

const hex = (n: number, salt: string): string => (salt + n.toString(16)).padStart(40, '0').slice(-40);

function deploymentEvents(i: number): AuditEventInput[] {
  const stage = i % 2 ? 'production' : 'staging';
  const pr = i + 1;
  const base = hex(i, 'b');
  const head = hex(i, 'h');
  const t = (min: number): string => new Date(START + i * STEP_MS + min * 60_000).toISOString();
  const common = { repository: REPO, stage, pullRequest: pr, baseSha: base, headSha: head };
  const id = 1_000_000 + i;
  const person = (who: string) => ({ login: who, name: who.toUpperCase(), email: `${who}@example.com` });
  const events: AuditEventInput[] = [
    {
      ...common,
      key: promotionCommitsKey(REPO, pr, head),
      actor: 'stagegate[bot]',
      kind: 'promotion.commits',
      at: t(0),
      details: {
        commits: [0, 1, 2].map((c) => ({
          sha: hex(i * 3 + c, 'c'),
          author: person(`dev${(i + c) % 50}`),
          committer: person('web-flow'),
          coAuthors: c === 0 ? [person(`dev${(i + 7) % 50}`)] : [],
        })),
      },
    },
    {
      ...common,
      key: `deployment:${id}:created`,
      actor: `dev${i % 50}`,
      kind: 'deployment.created',
      at: t(1),
      details: {
        deploymentId: id,
        environment: stage,
        sha: head,
        mergedBy: `dev${i % 50}`,
        approvers: [{ login: `lead${i % 5}`, submittedAt: t(0), commitId: head }],
        refused: i % 4 === 0 ? [{ login: `dev${i % 50}`, refusal: 'author', commitId: head }] : [],
        gateState: 'passed',
        commitCount: 3,
        authors: [`dev${i % 50}`, `dev${(i + 1) % 50}`, `dev${(i + 2) % 50}`],
        pullRequestTitle: `Promote to ${stage} #${pr}`,
        pullRequestUrl: `https://github.com/${REPO}/pull/${pr}`,
        policy: { path: '.github/stagegate.yml', ref: base, blobSha: hex(i % 20, 'p'), fellBack: false, extendsFrom: null, extendsBlobSha: null },
        rules: [
          { id: 'approvals', title: 'Approvals', state: 'passed', reason: '1 of 1 approvals of the head' },
          { id: 'required-checks', title: 'Required checks', state: 'passed', reason: 'build, test succeeded' },
          { id: 'separation-of-duties', title: 'Separation of duties', state: 'passed', reason: '3 authors excluded' },
        ],
        requiredChecks: ['build', 'test'].map((name, n) => ({
          name,
          source: 'check_run',
          app: 'ci',
          status: 'completed',
          conclusion: 'success',
          url: `https://github.com/${REPO}/runs/${i * 2 + n}`,
          at: t(0),
        })),
      },
    },
    {
      ...common,
      key: `deployment:${id}:dispatched`,
      actor: 'stagegate[bot]',
      kind: 'deployment.dispatched',
      at: t(1),
      details: { deploymentId: id, workflow: 'stagegate-deploy.yml', ref: stage, inputs: { deployment_id: String(id) } },
    },
  ];
  const failed = i % 10 === 9;
  for (const [n, state] of (['in_progress', failed ? 'failure' : 'success'] as const).entries()) {
    events.push({
      ...common,
      key: `deployment:${id}:status:${n + 1}`,
      actor: 'stagegate-action',
      kind: 'deployment.status',
      at: t(2 + n * 10),
      details: { deploymentId: id, statusId: n + 1, state, description: state, logUrl: `https://github.com/${REPO}/actions/runs/${id}`, environmentUrl: null },
    });
  }
  events.push({
    ...common,
    key: `deployment:${id}:verification`,
    actor: 'stagegate-action',
    kind: 'verification.result',
    at: t(12),
    details: {
      deploymentId: id,
      result: failed ? 'rolled_back' : 'success',
      reasonCode: failed ? 'metric-threshold' : null,
      description: failed ? '5xx ratio 0.04 > 0.01' : '2/2 smoke, 1/1 metrics',
      trusted: true,
      runId: id,
      runUrl: `https://github.com/${REPO}/actions/runs/${id}`,
      // The values the run wrote in its statuses (src/protocol/verification-values.ts), as the app records them.
      checks: [
        { kind: 'http', name: 'health', verdict: 'pass', observed: 'HTTP 200', threshold: 'status 200', index: 1, statusId: 10 * id + 1, at: t(4) },
        { kind: 'command', name: 'smoke', verdict: 'pass', observed: 'exit 0', threshold: 'exit 0', index: 2, statusId: 10 * id + 2, at: t(5) },
        {
          kind: 'metric',
          name: '5xx ratio',
          verdict: failed ? 'fail' : 'pass',
          observed: failed ? 'max 0.04 (3 samples)' : 'max 0.002 (3 samples)',
          threshold: '≤ 0.01',
          index: 3,
          statusId: 10 * id + 3,
          at: t(11),
        },
      ],
    },
  });
  if (failed) {
    events.push({
      ...common,
      key: `deployment:${id}:rollback`,
      actor: 'stagegate-action',
      kind: 'rollback',
      at: t(13),
      details: { deploymentId: id, rollbackDeploymentId: id + 500_000, sha: base, state: 'success' },
    });
  }
  return events;
}

async function populate(storeArgs: { databaseUrl?: string; dataDir?: string }): Promise<{ records: number; seconds: number }> {
  const store = await openAuditStore({ ...storeArgs, env: {} });
  const t0 = performance.now();
  let records = 0;
  let batch: AuditEventInput[] = [];
  try {
    for (let i = 0; i < DEPLOYMENTS; i++) {
      batch.push(...deploymentEvents(i));
      if (batch.length >= BATCH) {
        records += (await store.appendMany(batch)).length;
        batch = [];
      }
    }
    if (batch.length) records += (await store.appendMany(batch)).length;
  } finally {
    await store.close();
  }
  return { records, seconds: (performance.now() - t0) / 1000 };
}

interface ChildResult {
  rows: number;
  seconds: number;
  maxRssMb: number;
}

/** Child mode: run the CLI export to /dev/null and report the row count, time and peak RSS. */
async function childExport(args: string[]): Promise<void> {
  const out = createWriteStream('/dev/null');
  let stderr = '';
  const err = { write: (s: string) => ((stderr += s), true) } as unknown as NodeJS.WritableStream;
  const t0 = performance.now();
  const code = await main(['audit', 'export', '--repo', REPO, ...args], {
    stdout: out,
    stderr: err as never,
    env: {},
  });
  const seconds = (performance.now() - t0) / 1000;
  await new Promise<void>((r) => out.end(() => r()));
  if (code !== 0) throw new Error(`export failed (${code}): ${stderr}`);
  const rows = Number(/exported (\d+) row/.exec(stderr)?.[1] ?? NaN);
  const result: ChildResult = { rows, seconds, maxRssMb: process.resourceUsage().maxRSS / 1024 };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function runChild(args: string[], nodeFlags: string[] = [], mode = '--child-export'): ChildResult {
  const r = spawnSync(process.execPath, [...nodeFlags, fileURLToPath(import.meta.url), mode, ...args], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`export child failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as ChildResult;
}

/** Child mode: run `audit verify` and report the records walked, time and peak RSS. */
async function childVerify(args: string[]): Promise<void> {
  const out = createWriteStream('/dev/null');
  let verifyOut = '';
  const t0 = performance.now();
  const code = await main(['audit', 'verify', '--json', ...args], {
    stdout: { write: (s: string) => ((verifyOut += s), true) } as never,
    stderr: out,
    env: {},
  });
  const seconds = (performance.now() - t0) / 1000;
  if (code !== 0) throw new Error(`verify exited ${code}: ${verifyOut}`);
  const chains = (JSON.parse(verifyOut) as { chains: Array<{ records: number }> }).chains;
  const result: ChildResult = {
    rows: chains.reduce((n, c) => n + c.records, 0),
    seconds,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  out.end();
}

function report(label: string, storeArgs: string[]): void {
  const v = runChild(storeArgs, [], '--child-verify');
  console.log(`${label}: verify ${v.rows} records in ${v.seconds.toFixed(2)} s = ${Math.round(v.rows / v.seconds)} records/s, ` + `peak RSS ${v.maxRssMb.toFixed(0)} MB`);
  const tenthUntil = new Date(START + (DEPLOYMENTS / 10) * STEP_MS).toISOString();
  const runs: Array<[string, string[], string[]]> = [
    [`csv, ${DEPLOYMENTS / 10} deployments`, ['--format', 'csv', '--until', tenthUntil], []],
    [`csv, ${DEPLOYMENTS} deployments`, ['--format', 'csv'], []],
    [`json, ${DEPLOYMENTS} deployments`, ['--format', 'json'], []],
    [`ndjson, ${DEPLOYMENTS} deployments`, ['--format', 'ndjson'], []],
    [`csv, ${DEPLOYMENTS} deployments, V8 old space capped at 40 MB`, ['--format', 'csv'], ['--max-old-space-size=40']],
  ];
  for (const [what, args, nodeFlags] of runs) {
    // --out goes through the same streaming path as stdout; it reports the row count on stderr.
    const dir = mkdtempSync(join(tmpdir(), 'stagegate-bench-out-'));
    try {
      const r = runChild([...args, '--out', join(dir, 'export'), ...storeArgs], nodeFlags);
      console.log(`${label}: export ${what}: ${r.rows} rows in ${r.seconds.toFixed(2)} s = ${Math.round(r.rows / r.seconds)} rows/s, ` + `peak RSS ${r.maxRssMb.toFixed(0)} MB`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

async function parent(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'stagegate-bench-'));
  try {
    const p = await populate({ dataDir });
    console.log(
      `embedded (better-sqlite3): recorded ${DEPLOYMENTS} deployments = ${p.records} audit records in ${p.seconds.toFixed(1)} s ` +
        `(${Math.round(p.records / p.seconds)} records/s, batches of ${BATCH})`,
    );
    report('embedded (better-sqlite3)', ['--data-dir', dataDir]);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
  let server;
  try {
    server = await startPostgres();
  } catch (error) {
    console.log(`postgresql: not measured: ${(error as Error).message}`);
    return;
  }
  try {
    const url = await server.createDatabase('bench');
    const p = await populate({ databaseUrl: url });
    console.log(`postgresql: recorded ${DEPLOYMENTS} deployments = ${p.records} audit records in ${p.seconds.toFixed(1)} s ` + `(${Math.round(p.records / p.seconds)} records/s, batches of ${BATCH})`);
    report('postgresql', ['--database-url', url]);
  } finally {
    await server.stop();
  }
}

const argv = process.argv.slice(2);
if (argv[0] === '--child-export') await childExport(argv.slice(1));
else if (argv[0] === '--child-verify') await childVerify(argv.slice(1));
else if (argv[0] === '--populate' && argv[1]) {
  // Fills a data directory only (for profiling the export by hand).
  const p = await populate({ dataDir: argv[1] });
  console.log(`recorded ${p.records} audit records in ${p.seconds.toFixed(1)} s`);
} else await parent();
