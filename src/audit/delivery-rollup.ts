import { sql, type Kysely, type Transaction } from 'kysely';
import { deploymentIdOf } from './hash.js';
import { toRecord } from './row-mapping.js';
import type { AuditSchema } from './schema.js';
import { mergeApprovalKey, promotionCommitsKey, type AuditDialect, type AuditRecord } from './types.js';

/**
 * The delivery roll-up: derived tables kept next to the chain, updated in the same transaction as
 * every append (and backfilled from the chain by the migration that creates them), so the delivery
 * metrics (src/health/) are SQL aggregates over one row per deployment and one per promoted commit
 * instead of a walk over the whole audit trail. Derived data only: nothing here is hashed, and every
 * row can be rebuilt from the records (`rebuildDeliveryRollup`).
 *
 * Times are epoch milliseconds (integers), so ranges and differences are the same SQL on SQLite
 * and PostgreSQL.
 */

/** One deployment of a promotion (dispatch mode: `deployment.created`; protection-rule mode: the approved `protection_rule.reviewed`). */
export interface DeliveryDeploymentsTable {
  repository: string;
  deployment_id: string;
  stage: string;
  /** `dispatch` or `protection_rule`. */
  mode: string;
  /** Seq of the record that made the row (orders deployments of a stage). */
  created_seq: number;
  created_ms: number;
  /** The commit deployed (the promotion's merge commit). */
  sha: string | null;
  pull_request: number | null;
  base_sha: string | null;
  head_sha: string | null;
  merged_by: string | null;
  /** JSON array of the logins whose approvals counted. */
  approvers: string;
  /** The newest deployment status and its time. */
  last_state: string | null;
  last_state_ms: number | null;
  /** The newest verification word: `verified`, `failed`, `rolled_back`, `untrusted`, `refused`; null while none. */
  outcome: string | null;
  outcome_reason: string | null;
  /** First trusted success (a successful run of the protected deploy workflow bound to the deployment). */
  verified_ms: number | null;
  /** First failed verification or rollback. */
  failed_ms: number | null;
  /** First success that is not evidence. */
  untrusted_ms: number | null;
  /** The Action refused to deploy (nothing ran). */
  refused_ms: number | null;
  /** The first final verdict (verified or failed). */
  verdict_ms: number | null;
  rollback_ms: number | null;
  rollback_sha: string | null;
  rollback_state: string | null;
  /** For a failed deployment: the first verified deployment of the stage at or after the failure. */
  restored_ms: number | null;
}

/** One commit the first time it is promoted to a stage. */
export interface DeliveryCommitsTable {
  repository: string;
  stage: string;
  sha: string;
  deployment_id: string;
  /** Seq of the deployment's record: the deployment verified first at or after it carries the commit. */
  deploy_seq: number;
  /** Author date of the commit; null when not recorded. */
  authored_ms: number | null;
  /** Whether it is a merge commit (more than one parent): not a change of its own. Null: not recorded. */
  merge: number | null;
  verified_ms: number | null;
  lead_ms: number | null;
}

type Db = Kysely<AuditSchema> | Transaction<AuditSchema>;

const ms = (iso: unknown): number | null => {
  if (typeof iso !== 'string' || iso === '') return null;
  const t = Date.parse(iso);
  return Number.isFinite(t) ? t : null;
};
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : null);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const loginOf = (v: unknown): string | null => (v && typeof v === 'object' ? str((v as Record<string, unknown>)['login']) : null);
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** Creates the roll-up tables and their indexes (part of the audit store's migrations). */
export async function createDeliveryRollupTables(db: Kysely<unknown>, dialect: AuditDialect): Promise<void> {
  const big = dialect === 'postgres' ? 'bigint' : 'integer';
  await db.schema
    .createTable('delivery_deployments')
    .ifNotExists()
    .addColumn('repository', 'text', (c) => c.notNull())
    .addColumn('deployment_id', 'text', (c) => c.notNull())
    .addColumn('stage', 'text', (c) => c.notNull())
    .addColumn('mode', 'text', (c) => c.notNull())
    .addColumn('created_seq', 'integer', (c) => c.notNull())
    .addColumn('created_ms', big, (c) => c.notNull())
    .addColumn('sha', 'text')
    .addColumn('pull_request', 'integer')
    .addColumn('base_sha', 'text')
    .addColumn('head_sha', 'text')
    .addColumn('merged_by', 'text')
    .addColumn('approvers', 'text', (c) => c.notNull())
    .addColumn('last_state', 'text')
    .addColumn('last_state_ms', big)
    .addColumn('outcome', 'text')
    .addColumn('outcome_reason', 'text')
    .addColumn('verified_ms', big)
    .addColumn('failed_ms', big)
    .addColumn('untrusted_ms', big)
    .addColumn('refused_ms', big)
    .addColumn('verdict_ms', big)
    .addColumn('rollback_ms', big)
    .addColumn('rollback_sha', 'text')
    .addColumn('rollback_state', 'text')
    .addColumn('restored_ms', big)
    .addPrimaryKeyConstraint('delivery_deployments_pkey', ['repository', 'deployment_id'])
    .execute();
  for (const [name, cols] of [
    ['delivery_deployments_recent_idx', ['repository', 'created_seq']],
    ['delivery_deployments_created_idx', ['repository', 'stage', 'created_seq']],
    ['delivery_deployments_created_ms_idx', ['repository', 'stage', 'created_ms']],
    ['delivery_deployments_verified_idx', ['repository', 'stage', 'verified_ms']],
    ['delivery_deployments_verdict_idx', ['repository', 'stage', 'verdict_ms']],
    ['delivery_deployments_failed_idx', ['repository', 'stage', 'failed_ms']],
  ] as const) {
    await db.schema
      .createIndex(name)
      .ifNotExists()
      .on('delivery_deployments')
      .columns([...cols])
      .execute();
  }
  await db.schema
    .createTable('delivery_commits')
    .ifNotExists()
    .addColumn('repository', 'text', (c) => c.notNull())
    .addColumn('stage', 'text', (c) => c.notNull())
    .addColumn('sha', 'text', (c) => c.notNull())
    .addColumn('deployment_id', 'text', (c) => c.notNull())
    .addColumn('deploy_seq', 'integer', (c) => c.notNull())
    .addColumn('authored_ms', big)
    .addColumn('merge', 'integer')
    .addColumn('verified_ms', big)
    .addColumn('lead_ms', big)
    .addPrimaryKeyConstraint('delivery_commits_pkey', ['repository', 'stage', 'sha'])
    .execute();
  await db.schema.createIndex('delivery_commits_verified_idx').ifNotExists().on('delivery_commits').columns(['repository', 'stage', 'verified_ms']).execute();
  await db.schema.createIndex('delivery_commits_pending_idx').ifNotExists().on('delivery_commits').columns(['repository', 'stage', 'deploy_seq']).execute();
}

/** Applies newly appended records to the roll-up, in chain order (call inside the append's transaction). */
export async function applyDeliveryRollup(db: Db, records: readonly AuditRecord[]): Promise<void> {
  for (const r of records) await applyOne(db, r);
}

async function findByKey(db: Db, key: string): Promise<AuditRecord | null> {
  const row = await db.selectFrom('audit_records').selectAll().where('key', '=', key).executeTakeFirst();
  return row ? toRecord(row) : null;
}

async function applyOne(db: Db, r: AuditRecord): Promise<void> {
  const d = r.details;
  const at = ms(r.at);
  if (at === null) return;
  const id = deploymentIdOf(d);
  switch (r.kind) {
    case 'deployment.created': {
      if (id === null) return;
      const approvers = arr(d['approvers']).map(loginOf);
      await addDeployment(db, r, { id, mode: 'dispatch', at, sha: str(d['sha']), mergedBy: str(d['mergedBy']) ?? r.actor, approvers });
      return;
    }
    case 'protection_rule.reviewed': {
      if (id === null || d['state'] !== 'approved') return;
      const sha = str(d['sha']);
      const approval = sha ? await findByKey(db, mergeApprovalKey(r.repository, r.stage, sha)) : null;
      const approvers = arr(approval?.details['approvers']).map(loginOf);
      await addDeployment(db, r, { id, mode: 'protection_rule', at, sha, mergedBy: approval?.actor ?? null, approvers, ...(approval ? { ref: approval } : {}) });
      return;
    }
    case 'deployment.status': {
      if (id === null) return;
      await db
        .updateTable('delivery_deployments')
        .set({ last_state: str(d['state']), last_state_ms: at })
        .where('repository', '=', r.repository)
        .where('deployment_id', '=', id)
        .where((eb) => eb.or([eb('last_state_ms', 'is', null), eb('last_state_ms', '<=', at)]))
        .execute();
      return;
    }
    case 'verification.result': {
      if (id === null) return;
      const result = str(d['result']);
      const reason = str(d['reasonCode']);
      // Only a trusted success is a verified deploy; a success recorded before provenance was judged is not.
      if (result === 'success' && d['trusted'] === true) return verified(db, r.repository, id, at, reason);
      if ((result === 'failure' || result === 'rolled_back') && d['trusted'] !== false) return failed(db, r.repository, id, at, result === 'rolled_back' ? 'rolled_back' : 'failed', reason);
      if (result === 'success' || result === 'untrusted') {
        await db
          .updateTable('delivery_deployments')
          .set((eb) => ({ untrusted_ms: eb.fn.coalesce('untrusted_ms', eb.val(at)), outcome: eb.fn.coalesce('outcome', eb.val('untrusted')), outcome_reason: str(d['why']) ?? reason }))
          .where('repository', '=', r.repository)
          .where('deployment_id', '=', id)
          .execute();
      }
      return;
    }
    case 'rollback': {
      if (id === null) return;
      await db
        .updateTable('delivery_deployments')
        .set({ rollback_ms: at, rollback_sha: str(d['sha']), rollback_state: str(d['state']) })
        .where('repository', '=', r.repository)
        .where('deployment_id', '=', id)
        .execute();
      // A rollback means the deployment failed, whatever else was recorded about it.
      return failed(db, r.repository, id, at, 'rolled_back', null);
    }
    case 'deploy.refused': {
      if (id === null) return;
      await db
        .updateTable('delivery_deployments')
        .set((eb) => ({ refused_ms: eb.fn.coalesce('refused_ms', eb.val(at)), outcome: eb.fn.coalesce('outcome', eb.val('refused')), outcome_reason: str(d['reasonCode']) }))
        .where('repository', '=', r.repository)
        .where('deployment_id', '=', id)
        .execute();
      return;
    }
    default:
      return;
  }
}

async function addDeployment(
  db: Db,
  r: AuditRecord,
  x: { id: string; mode: string; at: number; sha: string | null; mergedBy: string | null; approvers: (string | null)[]; ref?: AuditRecord },
): Promise<void> {
  const pullRequest = r.pullRequest ?? x.ref?.pullRequest ?? null;
  const headSha = r.headSha ?? x.ref?.headSha ?? null;
  const inserted = await db
    .insertInto('delivery_deployments')
    .values({
      repository: r.repository,
      deployment_id: x.id,
      stage: r.stage,
      mode: x.mode,
      created_seq: r.seq,
      created_ms: x.at,
      sha: x.sha,
      pull_request: pullRequest,
      base_sha: r.baseSha ?? x.ref?.baseSha ?? null,
      head_sha: headSha,
      merged_by: x.mergedBy,
      approvers: JSON.stringify([...new Set(x.approvers.filter((a): a is string => a !== null))]),
      last_state: null,
      last_state_ms: null,
      outcome: null,
      outcome_reason: null,
      verified_ms: null,
      failed_ms: null,
      untrusted_ms: null,
      refused_ms: null,
      verdict_ms: null,
      rollback_ms: null,
      rollback_sha: null,
      rollback_state: null,
      restored_ms: null,
    })
    .onConflict((oc) => oc.columns(['repository', 'deployment_id']).doNothing())
    .executeTakeFirst();
  if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0 || pullRequest === null || headSha === null) return;
  const promotion = await findByKey(db, promotionCommitsKey(r.repository, pullRequest, headSha));
  const commits = arr(promotion?.details['commits']).map((c) => (c && typeof c === 'object' ? (c as Record<string, unknown>) : {}));
  const rows = commits
    .map((c) => ({
      repository: r.repository,
      stage: r.stage,
      sha: str(c['sha']) ?? '',
      deployment_id: x.id,
      deploy_seq: r.seq,
      authored_ms: ms(c['authoredAt']),
      merge: Array.isArray(c['parents']) ? (c['parents'].length > 1 ? 1 : 0) : typeof c['parents'] === 'number' ? (c['parents'] > 1 ? 1 : 0) : null,
      verified_ms: null,
      lead_ms: null,
    }))
    .filter((c) => c.sha !== '');
  for (let i = 0; i < rows.length; i += 200) {
    await db
      .insertInto('delivery_commits')
      .values(rows.slice(i, i + 200))
      .onConflict((oc) => oc.columns(['repository', 'stage', 'sha']).doNothing())
      .execute();
  }
}

async function rowOf(db: Db, repository: string, id: string) {
  return db
    .selectFrom('delivery_deployments')
    .select(['stage', 'created_seq', 'verified_ms', 'failed_ms', 'restored_ms'])
    .where('repository', '=', repository)
    .where('deployment_id', '=', id)
    .executeTakeFirst();
}

async function verified(db: Db, repository: string, id: string, at: number, reason: string | null): Promise<void> {
  const row = await rowOf(db, repository, id);
  if (!row) return;
  const before = num(row.verified_ms);
  if (before !== null && before <= at) return;
  await db
    .updateTable('delivery_deployments')
    .set((eb) => ({ verified_ms: at, verdict_ms: sql<number>`case when verdict_ms is null or verdict_ms > ${at} then ${at} else verdict_ms end`, outcome: eb.val('verified'), outcome_reason: reason }))
    .where('repository', '=', repository)
    .where('deployment_id', '=', id)
    .execute();
  // Failures of the stage at or before this verification are restored by it (the earliest such verification wins).
  await db
    .updateTable('delivery_deployments')
    .set({ restored_ms: at })
    .where('repository', '=', repository)
    .where('stage', '=', row.stage)
    .where('failed_ms', 'is not', null)
    .where('failed_ms', '<=', at)
    .where((eb) => eb.or([eb('restored_ms', 'is', null), eb('restored_ms', '>', at)]))
    .execute();
  // Commits promoted to the stage by this deployment or an earlier one and not yet verified there reach the stage now.
  await db
    .updateTable('delivery_commits')
    .set({ verified_ms: at, lead_ms: sql<number>`${at} - authored_ms` })
    .where('repository', '=', repository)
    .where('stage', '=', row.stage)
    .where('deploy_seq', '<=', Number(row.created_seq))
    .where((eb) => eb.or([eb('verified_ms', 'is', null), eb('verified_ms', '>', at)]))
    .execute();
}

async function failed(db: Db, repository: string, id: string, at: number, outcome: 'failed' | 'rolled_back', reason: string | null): Promise<void> {
  const row = await rowOf(db, repository, id);
  if (!row) return;
  const before = num(row.failed_ms);
  const failedAt = before === null || before > at ? at : before;
  const next = await db
    .selectFrom('delivery_deployments')
    .select((eb) => eb.fn.min<number | string | null>('verified_ms').as('first'))
    .where('repository', '=', repository)
    .where('stage', '=', row.stage)
    .where('verified_ms', '>=', failedAt)
    .executeTakeFirst();
  const restored = num(next?.first ?? null);
  await db
    .updateTable('delivery_deployments')
    .set((eb) => ({
      failed_ms: failedAt,
      verdict_ms: sql<number>`case when verdict_ms is null or verdict_ms > ${failedAt} then ${failedAt} else verdict_ms end`,
      outcome: eb.val(outcome),
      ...(reason !== null ? { outcome_reason: reason } : {}),
      restored_ms: restored,
    }))
    .where('repository', '=', repository)
    .where('deployment_id', '=', id)
    .execute();
}

/**
 * Rebuilds the roll-up of every repository from the chain (the migration's backfill; also a repair
 * tool). Reads the chain page by page in seq order.
 */
export async function rebuildDeliveryRollup(db: Kysely<AuditSchema>, opts: { pageSize?: number } = {}): Promise<number> {
  const pageSize = opts.pageSize ?? 2000;
  await db.deleteFrom('delivery_commits').execute();
  await db.deleteFrom('delivery_deployments').execute();
  const repos = await db.selectFrom('audit_records').select('repository').distinct().execute();
  let applied = 0;
  const kinds = ['deployment.created', 'protection_rule.reviewed', 'deployment.status', 'verification.result', 'rollback', 'deploy.refused'];
  for (const { repository } of repos) {
    let afterSeq = 0;
    for (;;) {
      const rows = await db
        .selectFrom('audit_records')
        .selectAll()
        .where('repository', '=', repository)
        .where('kind', 'in', kinds)
        .where('seq', '>', afterSeq)
        .orderBy('seq')
        .limit(pageSize)
        .execute();
      if (rows.length === 0) break;
      await applyDeliveryRollup(db, rows.map(toRecord));
      applied += rows.length;
      afterSeq = Number(rows[rows.length - 1]!.seq);
      if (rows.length < pageSize) break;
    }
  }
  return applied;
}
