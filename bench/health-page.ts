/**
 * Delivery health page benchmark (`npm run bench`): fills a temp embedded store with 1,000,000 audit records
 * (promotions to staging and production every few minutes over years: commits with author dates, deployments,
 * statuses, verifications, a failure rolled back now and then), then times what the page of the repository costs
 * the app beyond GitHub's reads: the SQL aggregates (`deliveryHealth`: running deployments, the four metrics over
 * 7/30/90 days, the chart series, recent promotions) plus rendering the page with its eight Vega-Lite charts.
 * Prints the first (cold) and the median of the next runs; the target is under 1 s. Repeats on a PostgreSQL
 * started on loopback when its binaries are installed. Figures only; nothing is asserted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPostgres } from '../sandbox/services/postgres.js';
import { openAuditStore } from '../src/audit/open.js';
import type { AuditDatabase, AuditEventInput } from '../src/audit/types.js';
import { deliveryHealth } from '../src/health/compute.js';
import { renderRepoPage } from '../src/health/page/repo-page.js';
import type { RepoView } from '../src/health/page/view.js';

const RECORDS = Number(process.env['BENCH_HEALTH_RECORDS'] ?? 1_000_000);
const REPO = 'acme/shop';
const STEP_MS = 10 * 60_000;
const BATCH = 5_000;
const RUNS = 6;
const NOW = new Date();

const hex = (n: number, salt: string): string => (salt + n.toString(16)).padStart(40, '0').slice(-40);

/** One promotion and its deployment: 6 records, 7 when it fails and is rolled back. */
function promotion(i: number, total: number): AuditEventInput[] {
  const stage = i % 2 ? 'production' : 'staging';
  const at = (min: number): string => new Date(NOW.getTime() - (total - i) * STEP_MS + min * 60_000).toISOString();
  const head = hex(i, 'h');
  const sha = hex(i, 'm');
  const id = 1_000_000 + i;
  const common = { repository: REPO, stage, pullRequest: i + 1, baseSha: hex(i, 'b'), headSha: head };
  const none = { repository: REPO, stage, pullRequest: null, baseSha: null, headSha: null };
  const failed = i % 12 === 11;
  const person = (login: string) => ({ login, name: login, email: `${login}@acme.test` });
  const out: AuditEventInput[] = [
    {
      ...common,
      key: `promotion:${REPO}#${i + 1}@${head}:commits`,
      actor: null,
      kind: 'promotion.commits',
      at: at(0),
      details: {
        commits: [0, 1].map((c) => ({ sha: hex(i * 2 + c, 'c'), author: person(`dev${(i + c) % 40}`), committer: person('web-flow'), coAuthors: [], authoredAt: at(-60 * (c + 2)), parents: 1 })),
      },
    },
    {
      ...common,
      key: `deployment:${REPO}:${id}:created`,
      actor: `dev${i % 40}`,
      kind: 'deployment.created',
      at: at(1),
      details: {
        deploymentId: id,
        environment: stage,
        sha,
        mergedBy: `dev${i % 40}`,
        approvers: [{ login: `lead${i % 5}`, submittedAt: at(0), commitId: head }],
        refused: [],
        gateState: 'passed',
        commitCount: 2,
        authors: [`dev${i % 40}`],
      },
    },
    {
      ...none,
      key: `deployment:${REPO}:${id}:status:1`,
      actor: 'github-actions[bot]',
      kind: 'deployment.status',
      at: at(2),
      details: { deploymentId: id, statusId: 1, state: 'in_progress', description: 'deploying', logUrl: null, environmentUrl: null },
    },
    {
      ...none,
      key: `deployment:${REPO}:${id}:status:2`,
      actor: 'github-actions[bot]',
      kind: 'deployment.status',
      at: at(6),
      details: { deploymentId: id, statusId: 2, state: failed ? 'failure' : 'success', description: 'done', logUrl: null, environmentUrl: null },
    },
    {
      ...none,
      key: `deployment:${REPO}:${id}:verification`,
      actor: 'github-actions[bot]',
      kind: 'verification.result',
      at: at(6),
      details: { deploymentId: id, result: failed ? 'rolled_back' : 'success', reasonCode: failed ? 'metrics-failed' : 'ok', description: 'verified', trusted: true, why: `verified by run ${id}` },
    },
    {
      ...none,
      key: `deployment:${REPO}:${id}:status:3`,
      actor: 'github-actions[bot]',
      kind: 'deployment.status',
      at: at(8),
      details: { deploymentId: id, statusId: 3, state: 'inactive', description: 'superseded', logUrl: null, environmentUrl: null },
    },
  ];
  if (failed)
    out.push({
      ...none,
      key: `deployment:${REPO}:${id}:rollback`,
      actor: 'github-actions[bot]',
      kind: 'rollback',
      at: at(7),
      details: { deploymentId: id, rollbackDeploymentId: id + 500_000, sha: hex(i - 2, 'm'), state: 'success' },
    });
  return out;
}

async function populate(store: AuditDatabase): Promise<{ records: number; seconds: number }> {
  const t0 = performance.now();
  const promotions = Math.ceil(RECORDS / (6 + 1 / 12));
  let records = 0;
  let batch: AuditEventInput[] = [];
  for (let i = 0; i < promotions && records + batch.length < RECORDS; i++) {
    batch.push(...promotion(i, promotions));
    if (batch.length >= BATCH) {
      records += (await store.appendMany(batch)).length;
      batch = [];
    }
  }
  if (batch.length) records += (await store.appendMany(batch)).length;
  return { records, seconds: (performance.now() - t0) / 1000 };
}

/** The page as the app builds it, with GitHub's parts (policy, open PRs, locks, compare) given. */
async function pageOnce(store: AuditDatabase): Promise<{ ms: number; bytes: number }> {
  const t0 = performance.now();
  const health = await deliveryHealth(store, { repository: REPO, stages: ['staging', 'production'], now: NOW });
  const view: RepoView = {
    repository: REPO,
    htmlUrl: `https://github.com/${REPO}`,
    viewer: { login: 'carol', csrf: 'x' },
    policy: {
      ok: true,
      value: [
        { name: 'staging', branch: 'staging', from: 'master' },
        { name: 'production', branch: 'production', from: 'staging' },
      ],
    },
    health: { ok: true, value: health },
    promotions: { ok: true, value: [] },
    locks: { ok: true, value: [] },
    pending: { ok: true, value: [] },
  };
  const html = await renderRepoPage(view);
  return { ms: performance.now() - t0, bytes: html.length };
}

async function measure(label: string, store: AuditDatabase): Promise<void> {
  const filled = await populate(store);
  console.log(`${label}: ${filled.records.toLocaleString('en')} audit records written in ${filled.seconds.toFixed(1)} s`);
  const runs: number[] = [];
  let bytes = 0;
  for (let r = 0; r < RUNS; r++) {
    const once = await pageOnce(store);
    runs.push(once.ms);
    bytes = once.bytes;
  }
  const warm = runs.slice(1).sort((a, b) => a - b);
  const median = warm[Math.floor(warm.length / 2)] ?? NaN;
  console.log(
    `${label}: page of ${REPO} over ${filled.records.toLocaleString('en')} records: first ${runs[0]?.toFixed(0)} ms, median of next ${warm.length} ${median.toFixed(0)} ms (${(bytes / 1024).toFixed(0)} KiB HTML, 8 charts; target < 1000 ms)`,
  );
}

async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'stagegate-bench-health-'));
  try {
    const store = await openAuditStore({ dataDir: dir, env: {} });
    try {
      await measure('embedded (SQLite)', store);
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  let pg: Awaited<ReturnType<typeof startPostgres>>;
  try {
    pg = await startPostgres();
  } catch (err) {
    console.log(`PostgreSQL: not measured (${(err as Error).message.split('\n')[0]})`);
    return;
  }
  try {
    const store = await openAuditStore({ databaseUrl: pg.databaseUrl, env: {} });
    try {
      await measure('PostgreSQL', store);
    } finally {
      await store.close();
    }
  } finally {
    await pg.stop();
  }
}

run().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
