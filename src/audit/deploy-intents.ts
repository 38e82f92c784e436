import type { Kysely, Selectable } from 'kysely';
import type { AuditSchema } from './schema.js';

/**
 * Deployment intents: one row per (repository, pull request, merge commit), taken before anything is
 * created on GitHub. The primary key makes the claim atomic across app processes on one database;
 * a lease lets another process take over an intent whose holder died, and the recorded state tells it
 * where to resume (a `dispatching` intent may have started a run: look for it before dispatching again).
 */

/** Where an intent is. `claimed` → `created` → `dispatching` → `dispatched` → `started` | `start-timed-out`; or `failed`. */
export type IntentState = 'claimed' | 'created' | 'dispatching' | 'dispatched' | 'started' | 'start-timed-out' | 'failed';

/** States after which the merge handler does nothing more. */
export const SETTLED_INTENT_STATES: readonly IntentState[] = ['dispatched', 'started', 'start-timed-out', 'failed'];

/** The `deploy_intents` table (same columns in both dialects). */
export interface DeployIntentsTable {
  repository: string;
  pull_request: number;
  merge_sha: string;
  stage: string;
  state: string;
  holder: string;
  lease_until: string;
  /** Text: GitHub ids outgrow a 32-bit integer. */
  deployment_id: string | null;
  workflow: string;
  ref: string;
  run_id: string | null;
  dispatch_started_at: string | null;
  dispatched_at: string | null;
  start_timeout_ms: number | null;
  outcome: string | null;
  created_at: string;
  updated_at: string;
}

/** Identifies one intent. */
export interface IntentKey {
  repository: string;
  pullRequest: number;
  mergeSha: string;
}

/** One deployment intent. */
export interface DeployIntent extends IntentKey {
  stage: string;
  state: IntentState;
  holder: string;
  leaseUntil: string;
  deploymentId: number | null;
  workflow: string;
  ref: string;
  runId: number | null;
  dispatchStartedAt: string | null;
  dispatchedAt: string | null;
  /** How long a dispatched deployment may stay queued before it is reported (null: never). */
  startTimeoutMs: number | null;
  /** Why it failed or timed out. */
  outcome: string | null;
  createdAt: string;
  updatedAt: string;
}

/** What an intent starts with. */
export interface IntentInit {
  stage: string;
  workflow: string;
  ref: string;
  startTimeoutMs: number | null;
}

/** What claiming an intent found. */
export type ClaimResult =
  /** This process holds it now: new (`taken: 'new'`) or taken over from a holder whose lease ran out. */
  | { kind: 'claimed'; taken: 'new' | 'over'; intent: DeployIntent }
  /** Another process holds a live lease: it is doing the work. */
  | { kind: 'held'; intent: DeployIntent }
  /** Nothing is left to do. */
  | { kind: 'settled'; intent: DeployIntent };

/** What may change on an intent. */
export type IntentPatch = Partial<Pick<DeployIntent, 'state' | 'deploymentId' | 'runId' | 'dispatchStartedAt' | 'dispatchedAt' | 'outcome'>>;

/** The intents of one database. */
export interface DeployIntents {
  /** Takes the intent for `holder` until `now + leaseMs`, unless another holder's lease is live or it is settled. */
  claim(key: IntentKey, init: IntentInit, holder: string, now: Date, leaseMs: number): Promise<ClaimResult>;
  /** Applies `patch` and renews the lease, only while `holder` holds it; null when it no longer does. */
  update(key: IntentKey, holder: string, patch: IntentPatch, now: Date, leaseMs: number): Promise<DeployIntent | null>;
  /** Moves a settled intent from `from` to `patch.state` (compare-and-set); whether this call did it. */
  transition(key: IntentKey, from: IntentState, patch: IntentPatch & { state: IntentState }, now: Date): Promise<boolean>;
  /** Ends `holder`'s lease now (it stopped on an error), so a retry may take the intent over at once. */
  release(key: IntentKey, holder: string, now: Date): Promise<void>;
  get(key: IntentKey): Promise<DeployIntent | null>;
  /** Dispatched intents with a start timeout, oldest first. */
  dispatched(limit: number): Promise<DeployIntent[]>;
}

/** Database access of {@link createDeployIntents}: the db and, for SQLite, this process's turn on the file. */
export interface IntentsDb {
  db: Kysely<AuditSchema>;
  turn: <T>(fn: () => Promise<T>) => Promise<T>;
}

function toIntent(r: Selectable<DeployIntentsTable>): DeployIntent {
  const num = (v: string | null): number | null => (v === null ? null : Number(v));
  return {
    repository: r.repository,
    pullRequest: Number(r.pull_request),
    mergeSha: r.merge_sha,
    stage: r.stage,
    state: r.state as IntentState,
    holder: r.holder,
    leaseUntil: r.lease_until,
    deploymentId: num(r.deployment_id),
    workflow: r.workflow,
    ref: r.ref,
    runId: num(r.run_id),
    dispatchStartedAt: r.dispatch_started_at,
    dispatchedAt: r.dispatched_at,
    startTimeoutMs: r.start_timeout_ms === null ? null : Number(r.start_timeout_ms),
    outcome: r.outcome,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

function columns(patch: IntentPatch): Partial<DeployIntentsTable> {
  const out: Partial<DeployIntentsTable> = {};
  if (patch.state !== undefined) out.state = patch.state;
  if (patch.deploymentId !== undefined) out.deployment_id = patch.deploymentId === null ? null : String(patch.deploymentId);
  if (patch.runId !== undefined) out.run_id = patch.runId === null ? null : String(patch.runId);
  if (patch.dispatchStartedAt !== undefined) out.dispatch_started_at = patch.dispatchStartedAt;
  if (patch.dispatchedAt !== undefined) out.dispatched_at = patch.dispatchedAt;
  if (patch.outcome !== undefined) out.outcome = patch.outcome;
  return out;
}

/** The intents over Kysely; every write is one conditional statement, atomic in both dialects. */
export function createDeployIntents({ db, turn }: IntentsDb): DeployIntents {
  const byKey = (k: IntentKey) => db.selectFrom('deploy_intents').selectAll().where('repository', '=', k.repository).where('pull_request', '=', k.pullRequest).where('merge_sha', '=', k.mergeSha);
  const get = async (k: IntentKey): Promise<DeployIntent | null> => {
    const row = await turn(() => byKey(k).executeTakeFirst());
    return row ? toIntent(row) : null;
  };
  return {
    get,
    async claim(key, init, holder, now, leaseMs) {
      const at = now.toISOString();
      const lease = new Date(now.getTime() + leaseMs).toISOString();
      const inserted = await turn(() =>
        db
          .insertInto('deploy_intents')
          .values({
            repository: key.repository,
            pull_request: key.pullRequest,
            merge_sha: key.mergeSha,
            stage: init.stage,
            state: 'claimed',
            holder,
            lease_until: lease,
            deployment_id: null,
            workflow: init.workflow,
            ref: init.ref,
            run_id: null,
            dispatch_started_at: null,
            dispatched_at: null,
            start_timeout_ms: init.startTimeoutMs,
            outcome: null,
            created_at: at,
            updated_at: at,
          })
          .onConflict((oc) => oc.columns(['repository', 'pull_request', 'merge_sha']).doNothing())
          .executeTakeFirst(),
      );
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) > 0) {
        const mine = await get(key);
        if (mine) return { kind: 'claimed', taken: 'new', intent: mine };
      }
      for (let attempt = 0; attempt < 3; attempt++) {
        const current = await get(key);
        if (!current) throw new Error(`deploy intent ${key.repository}#${key.pullRequest}@${key.mergeSha} vanished`);
        if (SETTLED_INTENT_STATES.includes(current.state)) return { kind: 'settled', intent: current };
        if (current.holder !== holder && current.leaseUntil > at) return { kind: 'held', intent: current };
        // The holder's lease ran out (it died or hung): take it over, unless another process just did.
        const res = await turn(() =>
          db
            .updateTable('deploy_intents')
            .set({ holder, lease_until: lease, updated_at: at })
            .where('repository', '=', key.repository)
            .where('pull_request', '=', key.pullRequest)
            .where('merge_sha', '=', key.mergeSha)
            .where('holder', '=', current.holder)
            .where('lease_until', '=', current.leaseUntil)
            .where('state', '=', current.state)
            .executeTakeFirst(),
        );
        if (Number(res.numUpdatedRows) > 0) return { kind: 'claimed', taken: current.holder === holder ? 'new' : 'over', intent: { ...current, holder, leaseUntil: lease, updatedAt: at } };
      }
      const last = await get(key);
      if (!last) throw new Error(`deploy intent ${key.repository}#${key.pullRequest}@${key.mergeSha} vanished`);
      return SETTLED_INTENT_STATES.includes(last.state) ? { kind: 'settled', intent: last } : { kind: 'held', intent: last };
    },
    async update(key, holder, patch, now, leaseMs) {
      const at = now.toISOString();
      const res = await turn(() =>
        db
          .updateTable('deploy_intents')
          .set({ ...columns(patch), lease_until: new Date(now.getTime() + leaseMs).toISOString(), updated_at: at })
          .where('repository', '=', key.repository)
          .where('pull_request', '=', key.pullRequest)
          .where('merge_sha', '=', key.mergeSha)
          .where('holder', '=', holder)
          .executeTakeFirst(),
      );
      return Number(res.numUpdatedRows) > 0 ? get(key) : null;
    },
    async release(key, holder, now) {
      await turn(() =>
        db
          .updateTable('deploy_intents')
          .set({ lease_until: now.toISOString(), updated_at: now.toISOString() })
          .where('repository', '=', key.repository)
          .where('pull_request', '=', key.pullRequest)
          .where('merge_sha', '=', key.mergeSha)
          .where('holder', '=', holder)
          .execute(),
      );
    },
    async transition(key, from, patch, now) {
      const res = await turn(() =>
        db
          .updateTable('deploy_intents')
          .set({ ...columns(patch), updated_at: now.toISOString() })
          .where('repository', '=', key.repository)
          .where('pull_request', '=', key.pullRequest)
          .where('merge_sha', '=', key.mergeSha)
          .where('state', '=', from)
          .executeTakeFirst(),
      );
      return Number(res.numUpdatedRows) > 0;
    },
    async dispatched(limit) {
      const rows = await turn(() =>
        db.selectFrom('deploy_intents').selectAll().where('state', '=', 'dispatched').where('start_timeout_ms', 'is not', null).orderBy('dispatched_at').limit(limit).execute(),
      );
      return rows.map(toIntent);
    },
  };
}

/** Creates the `deploy_intents` table (migration 0003). */
export async function createDeployIntentsTable(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('deploy_intents')
    .ifNotExists()
    .addColumn('repository', 'text', (c) => c.notNull())
    .addColumn('pull_request', 'integer', (c) => c.notNull())
    .addColumn('merge_sha', 'text', (c) => c.notNull())
    .addColumn('stage', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('lease_until', 'text', (c) => c.notNull())
    .addColumn('deployment_id', 'text')
    .addColumn('workflow', 'text', (c) => c.notNull())
    .addColumn('ref', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text')
    .addColumn('dispatch_started_at', 'text')
    .addColumn('dispatched_at', 'text')
    .addColumn('start_timeout_ms', 'integer')
    .addColumn('outcome', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('deploy_intents_pkey', ['repository', 'pull_request', 'merge_sha'])
    .execute();
  await db.schema.createIndex('deploy_intents_state_idx').ifNotExists().on('deploy_intents').columns(['state', 'dispatched_at']).execute();
}
