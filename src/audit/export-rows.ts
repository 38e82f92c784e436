import { obj, promotionKeyOf, str, summarisePromotion, type PromotionSummary } from './export-fields.js';
import { breakGlasses, chatopsRow } from './export-chatops.js';
import { bypassRow, deploymentRow, refusedRow } from './export-row-kinds.js';
import type { ExportOptions, ExportRow } from './export-types.js';
import { deploymentIdOf } from './hash.js';
import { mergeApprovalKey, type AuditDatabase, type AuditKind, type AuditRecord } from './types.js';

export type { ExportApproval, ExportOptions, ExportRefusal, ExportRefusedDeployment, ExportRollback, ExportRow, ExportStatus, ExportVerification } from './export-types.js';

const FOLLOW_KINDS: readonly AuditKind[] = ['deployment.status', 'verification.result', 'rollback', 'release.published'];

/** Records of continuous promotion, joined to rows by pull request: few per promotion, read once per export. */
const PROMOTION_KINDS: readonly AuditKind[] = ['promotion.opened', 'promotion.auto_merged', 'duty.requested'];

interface PromotionExtras {
  standing: Set<number>;
  autoMerged: Map<string, { via: string; why: string; at: string }>;
  duty: Map<number, string[]>;
}

async function promotionExtras(store: AuditDatabase, repository: string): Promise<PromotionExtras> {
  const out: PromotionExtras = { standing: new Set(), autoMerged: new Map(), duty: new Map() };
  let afterSeq = 0;
  for (;;) {
    const page = await store.scan(repository, { afterSeq, limit: 500, kinds: PROMOTION_KINDS });
    for (const r of page) {
      const d = r.details;
      const pr = typeof d['pullRequest'] === 'number' ? d['pullRequest'] : r.pullRequest;
      if (pr === null) continue;
      if (r.kind === 'promotion.opened') out.standing.add(pr);
      else if (r.kind === 'promotion.auto_merged') out.autoMerged.set(`${pr}@${str(d['headSha']) ?? ''}`, { via: str(d['via']) ?? 'app', why: str(d['why']) ?? '', at: r.at });
      else if (r.kind === 'duty.requested' && d['outcome'] === 'requested') {
        const team = str(d['team']);
        if (team && !(out.duty.get(pr) ?? []).includes(team)) out.duty.set(pr, [...(out.duty.get(pr) ?? []), team]);
      }
    }
    const last = page[page.length - 1];
    if (!last || page.length < 500) return out;
    afterSeq = last.seq;
  }
}

const ROW_KINDS: readonly AuditKind[] = ['deployment.created', 'merge.bypassed', 'protection_rule.reviewed', 'deploy.refused', 'command', 'lock.released', 'break_glass.overdue'];
const CHATOPS_KINDS: ReadonlySet<string> = new Set(['command', 'lock.released', 'break_glass.overdue']);

/**
 * Export rows of one repository in chain order, fetched page by page (memory stays flat): one per
 * deployment — `deployment.created` (dispatch mode), or `protection_rule.reviewed` approved
 * (protection-rule mode: GitHub's job deployment, with the decision from the promotion's
 * `merge.approved`) — joined with the later records of its deployment and its promotion's commits;
 * one per `merge.bypassed`; and one per refusal (`deploy.refused` by the Action, or a protection
 * rule the app rejected). Throws, naming the record, when a record lacks its identifying field.
 */
export async function* exportRows(store: AuditDatabase, opts: ExportOptions): AsyncGenerator<ExportRow> {
  const pageSize = opts.pageSize ?? 500;
  const extras = await promotionExtras(store, opts.repository);
  const bgs = await breakGlasses(store, opts.repository);
  let afterSeq = 0;
  for (;;) {
    const page = await store.scan(opts.repository, {
      afterSeq,
      limit: pageSize,
      kinds: ROW_KINDS,
      ...(opts.stage !== undefined ? { stage: opts.stage } : {}),
      ...(opts.since !== undefined ? { since: opts.since } : {}),
      ...(opts.until !== undefined ? { until: opts.until } : {}),
    });
    if (page.length === 0) return;
    const deployed = page.filter(isDeploymentRecord);
    const ids: string[] = [];
    for (const r of deployed) {
      const id = deploymentIdOf(r.details);
      if (id === null) throw new Error(`audit record ${r.repository} seq ${r.seq} (${r.kind}) has no deploymentId`);
      ids.push(id);
    }
    const follow = new Map<string, AuditRecord[]>();
    for (const rec of await store.byDeployment(opts.repository, ids, FOLLOW_KINDS)) {
      const id = deploymentIdOf(rec.details);
      if (id === null) continue;
      follow.set(id, [...(follow.get(id) ?? []), rec]);
    }
    const promotions = new Map<string, PromotionSummary>();
    const approvals = new Map<string, AuditRecord>();
    const approvalKeys = deployed.filter((r) => r.kind === 'protection_rule.reviewed').map((r) => approvalKeyOf(r));
    const keys = page.map(promotionKeyOf).filter((k): k is string => k !== null);
    for (const rec of await store.findByKeys([...keys, ...approvalKeys])) {
      if (rec.repository !== opts.repository) continue;
      if (rec.kind === 'promotion.commits') promotions.set(rec.key, summarisePromotion(rec));
      if (rec.kind === 'merge.approved') approvals.set(rec.key, rec);
    }
    for (const r of page) {
      if (CHATOPS_KINDS.has(r.kind)) {
        const row = chatopsRow(r, opts, bgs);
        if (row) yield row;
        continue;
      }
      const key = promotionKeyOf(r);
      const promotion = key === null ? null : (promotions.get(key) ?? null);
      if (r.kind === 'merge.bypassed') yield withExtras(bypassRow(r, promotion, opts), extras);
      else if (!isDeploymentRecord(r)) yield refusedRow(r, opts);
      else {
        const id = deploymentIdOf(r.details) as string;
        const later = (follow.get(id) ?? []).filter((f) => f.seq > r.seq);
        if (r.kind === 'deployment.created')
          yield { ...withExtras(deploymentRow(r, r.details, id, later, promotion, opts), extras), breakGlass: bgs.get(`${r.pullRequest ?? ''}@${r.headSha ?? ''}`) ?? null };
        else {
          // Protection-rule mode: the decision is the promotion's merge.approved record (it must exist: the app approved only because of it).
          const approval = approvals.get(approvalKeyOf(r));
          if (!approval) throw new Error(`audit record ${r.repository} seq ${r.seq} (protection_rule.reviewed) approved deployment ${id}, but its merge.approved record is missing`);
          const evidence = obj(approval.details['evidence']);
          yield withExtras(deploymentRow(r, { ...evidence, sha: str(r.details['sha']), mergedBy: str(evidence['mergedBy']) ?? approval.actor }, id, later, promotion, opts), extras);
        }
      }
    }
    const last = page[page.length - 1];
    if (!last || page.length < pageSize) return;
    afterSeq = last.seq;
  }
}

function withExtras(row: ExportRow, x: PromotionExtras): ExportRow {
  if (row.pullRequest === null) return row;
  return {
    ...row,
    standingPr: x.standing.has(row.pullRequest),
    autoMerged: x.autoMerged.get(`${row.pullRequest}@${row.headSha ?? ''}`) ?? null,
    dutyRequested: x.duty.get(row.pullRequest) ?? [],
  };
}

/** A record that starts a deployment row: a deployment the app created, or a job deployment it approved. */
function isDeploymentRecord(r: AuditRecord): boolean {
  return r.kind === 'deployment.created' || (r.kind === 'protection_rule.reviewed' && r.details['state'] === 'approved');
}

function approvalKeyOf(r: AuditRecord): string {
  return mergeApprovalKey(r.repository, str(r.details['environment']) ?? r.stage, str(r.details['sha']) ?? '');
}
