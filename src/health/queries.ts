import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { AuditSchema } from '../audit/schema.js';
import type { AuditDialect } from '../audit/types.js';
import type { Bucket, Period } from './periods.js';

/**
 * The SQL aggregates behind the delivery metrics, over the roll-up tables the audit store keeps
 * (src/audit/delivery-rollup.ts). Every query is bounded by an index range on one stage of one
 * repository, so its cost follows the deployments in the period, not the size of the audit trail.
 * The definitions these queries implement are written out in ./definitions.ts.
 */

type Db = Kysely<AuditSchema>;

/** The figures of one stage over one period. */
export interface StageFigures {
  /** Verified deployments (deployment frequency). */
  verified: number;
  /** Deployments whose first verdict (verified or failed) falls in the period. */
  withVerdict: number;
  /** Of those, the ones that failed verification or were rolled back. */
  failed: number;
  /** Deployments made in the period that have no verdict: still running, untrusted success, or refused. */
  unverified: { pending: number; untrusted: number; refused: number };
  /** Lead time for changes over the commits verified in the stage in the period. */
  leadTime: { commits: number; medianMs: number | null; p90Ms: number | null };
  /** Failures in the period, how many a later verified deployment restored, and the median time it took. */
  restore: { failures: number; restored: number; medianMs: number | null };
}

/** One chart bar of a stage. */
export interface SeriesPoint {
  bucket: Bucket;
  verified: number;
  withVerdict: number;
  failed: number;
  leadMedianMs: number | null;
  restoreMedianMs: number | null;
}

/** A deployment as the page lists it. */
export interface DeploymentRow {
  deploymentId: string;
  stage: string;
  mode: string;
  seq: number;
  createdMs: number;
  sha: string | null;
  pullRequest: number | null;
  baseSha: string | null;
  headSha: string | null;
  mergedBy: string | null;
  approvers: string[];
  lastState: string | null;
  lastStateMs: number | null;
  outcome: string | null;
  outcomeReason: string | null;
  verifiedMs: number | null;
  failedMs: number | null;
  untrustedMs: number | null;
  refusedMs: number | null;
  rollbackMs: number | null;
  rollbackSha: string | null;
  rollbackState: string | null;
  restoredMs: number | null;
}

/** A promotion merged past a red gate (nothing deployed). */
export interface BypassRow {
  stage: string;
  seq: number;
  at: string;
  pullRequest: number | null;
  sha: string | null;
  mergedBy: string | null;
  reasons: string[];
}

const n = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const nOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** `percentile_cont` in each dialect (linear interpolation between the closest ranks; NULLs ignored). */
function percentile(dialect: AuditDialect, expr: RawBuilder<unknown>, p: number): RawBuilder<number | null> {
  return dialect === 'postgres' ? sql<number | null>`percentile_cont(${sql.lit(p)}) within group (order by ${expr})` : sql<number | null>`percentile_cont(${expr}, ${sql.lit(p)})`;
}

/** Lead time of a commit, never negative (an author date in the future is a clock, not a change). */
const LEAD = sql`case when lead_ms < 0 then 0 else lead_ms end`;

/** The stages that have deployments in a repository's roll-up, in the order they were first deployed to. */
export async function rolledUpStages(db: Db, repository: string): Promise<string[]> {
  const rows = await db
    .selectFrom('delivery_deployments')
    .select((eb) => ['stage', eb.fn.min('created_seq').as('first')])
    .where('repository', '=', repository)
    .groupBy('stage')
    .execute();
  return rows.sort((a, b) => Number(a.first) - Number(b.first) || a.stage.localeCompare(b.stage)).map((r) => r.stage);
}

/** The figures of one stage over one period. */
export async function stageFigures(db: Db, dialect: AuditDialect, repository: string, stage: string, period: Period): Promise<StageFigures> {
  const { startMs: s, endMs: e } = period;
  const deployments = db.selectFrom('delivery_deployments').where('repository', '=', repository).where('stage', '=', stage);
  const [verified, verdicts, unverified, lead, restore] = await Promise.all([
    deployments
      .select((eb) => eb.fn.countAll().as('n'))
      .where('verified_ms', '>=', s)
      .where('verified_ms', '<', e)
      .executeTakeFirst(),
    deployments
      .select((eb) => [eb.fn.countAll().as('total'), eb.fn.count('failed_ms').as('failed')])
      .where('verdict_ms', '>=', s)
      .where('verdict_ms', '<', e)
      .executeTakeFirst(),
    deployments
      .select((eb) => [eb.fn.count('refused_ms').as('refused'), eb.fn.count('untrusted_ms').as('untrusted'), eb.fn.countAll().as('all')])
      .where('created_ms', '>=', s)
      .where('created_ms', '<', e)
      .where('verdict_ms', 'is', null)
      .executeTakeFirst(),
    db
      .selectFrom('delivery_commits')
      .select([sql<number>`count(*)`.as('n'), percentile(dialect, LEAD, 0.5).as('median'), percentile(dialect, LEAD, 0.9).as('p90')])
      .where('repository', '=', repository)
      .where('stage', '=', stage)
      .where('verified_ms', '>=', s)
      .where('verified_ms', '<', e)
      .where('lead_ms', 'is not', null)
      .where((eb) => eb.or([eb('merge', 'is', null), eb('merge', '=', 0)]))
      .executeTakeFirst(),
    deployments
      .select((eb) => [eb.fn.countAll().as('failures'), eb.fn.count('restored_ms').as('restored'), percentile(dialect, sql`restored_ms - failed_ms`, 0.5).as('median')])
      .where('failed_ms', '>=', s)
      .where('failed_ms', '<', e)
      .executeTakeFirst(),
  ]);
  const refused = n(unverified?.refused);
  const untrusted = n(unverified?.untrusted);
  return {
    verified: n(verified?.n),
    withVerdict: n(verdicts?.total),
    failed: n(verdicts?.failed),
    unverified: { refused, untrusted, pending: Math.max(0, n(unverified?.all) - refused - untrusted) },
    leadTime: { commits: n(lead?.n), medianMs: nOrNull(lead?.median), p90Ms: nOrNull(lead?.p90) },
    restore: { failures: n(restore?.failures), restored: n(restore?.restored), medianMs: nOrNull(restore?.median) },
  };
}

/** `with b(i, s, e) as (values (0, s, e), ...)`: the buckets, as literals (integers computed here, never input). */
function bucketValues(buckets: readonly Bucket[]): RawBuilder<unknown> {
  return sql`with b(i, s, e) as (values ${sql.join(buckets.map((b) => sql`(${sql.lit(b.index)}, ${sql.lit(b.startMs)}, ${sql.lit(b.endMs)})`))})`;
}

/** The chart series of one stage: per bucket, verified deployments, verdicts, failures, median lead time and time to restore. */
export async function stageSeries(db: Db, dialect: AuditDialect, repository: string, stage: string, buckets: readonly Bucket[]): Promise<SeriesPoint[]> {
  if (buckets.length === 0) return [];
  const b = bucketValues(buckets);
  const [deploys, verdicts, lead, restore] = await Promise.all([
    sql<{ i: number; n: number }>`${b} select b.i as i, count(d.deployment_id) as n from b
      left join delivery_deployments d on d.repository = ${repository} and d.stage = ${stage} and d.verified_ms >= b.s and d.verified_ms < b.e
      group by b.i`.execute(db),
    sql<{ i: number; total: number; failed: number }>`${b} select b.i as i, count(d.deployment_id) as total, count(d.failed_ms) as failed from b
      left join delivery_deployments d on d.repository = ${repository} and d.stage = ${stage} and d.verdict_ms >= b.s and d.verdict_ms < b.e
      group by b.i`.execute(db),
    sql<{ i: number; median: number | null }>`${b} select b.i as i, ${percentile(dialect, sql`case when c.lead_ms < 0 then 0 else c.lead_ms end`, 0.5)} as median from b
      join delivery_commits c on c.repository = ${repository} and c.stage = ${stage} and c.verified_ms >= b.s and c.verified_ms < b.e
        and c.lead_ms is not null and (c.merge is null or c.merge = 0)
      group by b.i`.execute(db),
    sql<{ i: number; median: number | null }>`${b} select b.i as i, ${percentile(dialect, sql`d.restored_ms - d.failed_ms`, 0.5)} as median from b
      join delivery_deployments d on d.repository = ${repository} and d.stage = ${stage} and d.failed_ms >= b.s and d.failed_ms < b.e and d.restored_ms is not null
      group by b.i`.execute(db),
  ]);
  const by = <T extends { i: number }>(rows: T[]): Map<number, T> => new Map(rows.map((r) => [Number(r.i), r]));
  const d = by(deploys.rows);
  const v = by(verdicts.rows);
  const l = by(lead.rows);
  const r = by(restore.rows);
  return buckets.map((bucket) => ({
    bucket,
    verified: n(d.get(bucket.index)?.n),
    withVerdict: n(v.get(bucket.index)?.total),
    failed: n(v.get(bucket.index)?.failed),
    leadMedianMs: nOrNull(l.get(bucket.index)?.median),
    restoreMedianMs: nOrNull(r.get(bucket.index)?.median),
  }));
}

function toDeployment(r: AuditSchema['delivery_deployments']): DeploymentRow {
  let approvers: string[] = [];
  try {
    const parsed = JSON.parse(r.approvers) as unknown;
    if (Array.isArray(parsed)) approvers = parsed.filter((a): a is string => typeof a === 'string');
  } catch {
    approvers = [];
  }
  return {
    deploymentId: r.deployment_id,
    stage: r.stage,
    mode: r.mode,
    seq: Number(r.created_seq),
    createdMs: Number(r.created_ms),
    sha: r.sha,
    pullRequest: nOrNull(r.pull_request),
    baseSha: r.base_sha,
    headSha: r.head_sha,
    mergedBy: r.merged_by,
    approvers,
    lastState: r.last_state,
    lastStateMs: nOrNull(r.last_state_ms),
    outcome: r.outcome,
    outcomeReason: r.outcome_reason,
    verifiedMs: nOrNull(r.verified_ms),
    failedMs: nOrNull(r.failed_ms),
    untrustedMs: nOrNull(r.untrusted_ms),
    refusedMs: nOrNull(r.refused_ms),
    rollbackMs: nOrNull(r.rollback_ms),
    rollbackSha: r.rollback_sha,
    rollbackState: r.rollback_state,
    restoredMs: nOrNull(r.restored_ms),
  };
}

/** The newest deployments of a stage (or of every stage), newest first. */
export async function recentDeployments(db: Db, repository: string, opts: { stage?: string; limit: number }): Promise<DeploymentRow[]> {
  let q = db.selectFrom('delivery_deployments').selectAll().where('repository', '=', repository);
  if (opts.stage !== undefined) q = q.where('stage', '=', opts.stage);
  const rows = await q.orderBy('created_seq', 'desc').limit(opts.limit).execute();
  return rows.map(toDeployment);
}

/** The newest verified deployment of `sha` in a stage (what a rollback went back to), if the trail has one. */
export async function verifiedDeploymentOf(db: Db, repository: string, stage: string, sha: string): Promise<DeploymentRow | null> {
  const row = await db
    .selectFrom('delivery_deployments')
    .selectAll()
    .where('repository', '=', repository)
    .where('stage', '=', stage)
    .where('sha', '=', sha)
    .where('verified_ms', 'is not', null)
    .orderBy('created_seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row ? toDeployment(row) : null;
}

/** The newest merges that bypassed the gate (nothing deployed), newest first. */
export async function recentBypasses(db: Db, repository: string, opts: { stage?: string; limit: number }): Promise<BypassRow[]> {
  let q = db.selectFrom('audit_records').select(['stage', 'seq', 'at', 'pull_request', 'details']).where('repository', '=', repository).where('kind', '=', 'merge.bypassed');
  if (opts.stage !== undefined) q = q.where('stage', '=', opts.stage);
  const rows = await q.orderBy('seq', 'desc').limit(opts.limit).execute();
  return rows.map((r) => {
    let d: Record<string, unknown> = {};
    try {
      d = JSON.parse(r.details) as Record<string, unknown>;
    } catch {
      d = {};
    }
    return {
      stage: r.stage,
      seq: Number(r.seq),
      at: r.at,
      pullRequest: nOrNull(r.pull_request),
      sha: typeof d['mergeCommitSha'] === 'string' ? d['mergeCommitSha'] : null,
      mergedBy: typeof d['mergedBy'] === 'string' ? d['mergedBy'] : null,
      reasons: Array.isArray(d['reasons']) ? d['reasons'].filter((x): x is string => typeof x === 'string') : [],
    };
  });
}
