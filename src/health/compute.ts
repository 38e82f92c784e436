import type { AuditDatabase } from '../audit/types.js';
import { bucketsOf, lastDays, STANDARD_DAYS, type Period } from './periods.js';
import {
  recentBypasses,
  recentDeployments,
  rolledUpStages,
  stageFigures,
  stageSeries,
  verifiedDeploymentOf,
  type BypassRow,
  type DeploymentRow,
  type SeriesPoint,
  type StageFigures,
} from './queries.js';

/**
 * The delivery health of one repository from its audit trail: per stage what runs there, the four
 * metrics per period and the chart series; and the recent promotions. The one code path behind the
 * page (app/web) and `stagegate metrics`.
 */

/** What runs in a stage now, as the audit trail says. */
export type Running =
  /** The newest settled deployment was verified. */
  | { kind: 'verified'; deployment: DeploymentRow; sinceMs: number }
  /** It failed and was rolled back to `sha` (`target`: the trail's verified deployment of that commit, when it has one). */
  | { kind: 'rolled-back'; deployment: DeploymentRow; sha: string; sinceMs: number; target: DeploymentRow | null; rollbackState: string }
  /** It failed verification and was not rolled back (or the rollback did not succeed): the failed release may be running. */
  | { kind: 'failed'; deployment: DeploymentRow; sinceMs: number }
  /** Its success is not evidence. */
  | { kind: 'untrusted'; deployment: DeploymentRow; sinceMs: number };

/** One stage's health. */
export interface StageHealth {
  stage: string;
  /** Null when the trail has no settled deployment of the stage. */
  running: Running | null;
  /** A newer deployment still without a verdict (deploying or verifying). */
  inProgress: DeploymentRow | null;
  /** Figures per period, in the order of {@link HealthReport.periods}. */
  figures: StageFigures[];
  /** The chart of {@link HealthReport.chart}. */
  series: SeriesPoint[];
}

/** A recent promotion: a deployment, or a merge that bypassed the gate. */
export type RecentPromotion = { kind: 'deployment'; deployment: DeploymentRow } | { kind: 'bypass'; bypass: BypassRow };

/** The health of a repository. */
export interface HealthReport {
  repository: string;
  zone: string;
  generatedAt: string;
  periods: Period[];
  /** The period the charts cover. */
  chart: Period;
  stages: StageHealth[];
  recent: RecentPromotion[];
}

/** Options of {@link deliveryHealth}. */
export interface HealthOptions {
  repository: string;
  /** Stages in the policy's order (others found in the trail follow, by name). */
  stages?: readonly string[];
  /** Only this stage. */
  stage?: string;
  /** Default: the last 7, 30 and 90 days. */
  periods?: Period[];
  /** Default: the longest period. */
  chart?: Period;
  /** IANA time zone of days and weeks (default UTC). */
  zone?: string;
  now?: Date;
  /** Recent promotions listed (default 15). */
  recent?: number;
}

/** The settled state of a stage from its newest deployments (newest first). */
export function runningOf(rows: readonly DeploymentRow[]): { running: Running | null; inProgress: DeploymentRow | null; rollbackTo: string | null } {
  let inProgress: DeploymentRow | null = null;
  for (const d of rows) {
    const settled = d.verifiedMs !== null || d.failedMs !== null || d.untrustedMs !== null;
    if (!settled) {
      // Refused (nothing ran) or a final failure status with no verification: nothing new is running.
      if (d.refusedMs !== null || d.lastState === 'error' || d.lastState === 'failure' || d.lastState === 'inactive') continue;
      inProgress ??= d;
      continue;
    }
    if (d.failedMs !== null && d.rollbackSha && d.rollbackState === 'success' && d.rollbackMs !== null) {
      return { running: { kind: 'rolled-back', deployment: d, sha: d.rollbackSha, sinceMs: d.rollbackMs, target: null, rollbackState: d.rollbackState }, inProgress, rollbackTo: d.rollbackSha };
    }
    if (d.failedMs !== null && (d.verifiedMs === null || d.failedMs > d.verifiedMs)) return { running: { kind: 'failed', deployment: d, sinceMs: d.failedMs }, inProgress, rollbackTo: null };
    if (d.verifiedMs !== null) return { running: { kind: 'verified', deployment: d, sinceMs: d.verifiedMs }, inProgress, rollbackTo: null };
    return { running: { kind: 'untrusted', deployment: d, sinceMs: d.untrustedMs ?? d.createdMs }, inProgress, rollbackTo: null };
  }
  return { running: null, inProgress, rollbackTo: null };
}

/** Computes a repository's delivery health (SQL aggregates over the audit store's roll-up). */
export async function deliveryHealth(store: Pick<AuditDatabase, 'read'>, opts: HealthOptions): Promise<HealthReport> {
  const now = opts.now ?? new Date();
  const zone = opts.zone ?? 'UTC';
  const periods = opts.periods ?? STANDARD_DAYS.map((d) => lastDays(d, now, zone));
  const chart = opts.chart ?? periods.reduce((a, b) => (b.endMs - b.startMs > a.endMs - a.startMs ? b : a));
  const buckets = bucketsOf(chart, zone);
  const { repository } = opts;
  return store.read(async (db, dialect) => {
    const known = await rolledUpStages(db, repository);
    const order = [...(opts.stages ?? [])];
    for (const s of known) if (!order.includes(s)) order.push(s);
    const stages = opts.stage !== undefined ? [opts.stage] : order;
    const stageHealth = await Promise.all(
      stages.map(async (stage): Promise<StageHealth> => {
        const [figures, series, rows] = await Promise.all([
          Promise.all(periods.map((p) => stageFigures(db, dialect, repository, stage, p))),
          stageSeries(db, dialect, repository, stage, buckets),
          recentDeployments(db, repository, { stage, limit: 20 }),
        ]);
        const { running, inProgress, rollbackTo } = runningOf(rows);
        let full = running;
        if (full?.kind === 'rolled-back' && rollbackTo) full = { ...full, target: await verifiedDeploymentOf(db, repository, stage, rollbackTo) };
        return { stage, running: full, inProgress, figures, series };
      }),
    );
    const limit = opts.recent ?? 15;
    const filter = opts.stage !== undefined ? { stage: opts.stage } : {};
    const [deployments, bypasses] = await Promise.all([recentDeployments(db, repository, { ...filter, limit }), recentBypasses(db, repository, { ...filter, limit })]);
    const recent: RecentPromotion[] = [...deployments.map((d) => ({ kind: 'deployment' as const, deployment: d })), ...bypasses.map((b) => ({ kind: 'bypass' as const, bypass: b }))]
      .sort((a, b) => (b.kind === 'deployment' ? b.deployment.seq : b.bypass.seq) - (a.kind === 'deployment' ? a.deployment.seq : a.bypass.seq))
      .slice(0, limit);
    return { repository, zone, generatedAt: now.toISOString(), periods, chart, stages: stageHealth, recent };
  });
}
