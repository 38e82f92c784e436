import { deploymentIdOf } from './hash.js';
import {
  promotionCommitsKey,
  type AuditDatabase,
  type AuditKind,
  type AuditRecord,
  type CommitPerson,
  type PolicyEvidence,
  type PromotionCommit,
  type RequiredCheckEvidence,
  type RuleEvidence,
} from './types.js';

/** Filters of an export of one repository. `since` is inclusive, `until` exclusive (normalised ISO times). */
export interface ExportOptions {
  repository: string;
  since?: string;
  until?: string;
  stage?: string;
  /** Rows fetched per query (default 500). */
  pageSize?: number;
  /**
   * What verification found: null when the chain is intact, else the seq of the first broken record
   * (rows built from it or later are flagged `after-break`). Absent: not verified (`unverified`).
   */
  brokenFromSeq?: number | null;
}

/** A counted approval: who approved which commit, when. */
export interface ExportApproval {
  login: string;
  commitId: string;
  submittedAt: string;
}

/** A refused approval: who, which commit, why it did not count. */
export interface ExportRefusal extends ExportApproval {
  refusal: string;
}

/** A deployment status, in order. */
export interface ExportStatus {
  state: string;
  description: string | null;
  at: string;
  logUrl: string | null;
}

/** The verification outcome of a deployment, with the values the Action reported where recorded. */
export interface ExportVerification {
  result: string;
  reasonCode: string | null;
  description: string;
  at: string;
  /** Whether the result is evidence (a successful run of the protected deploy workflow bound to the deployment); null on older records. */
  trusted: boolean | null;
  /** Why it is (not) trusted. */
  why: string | null;
  /** The workflow run the result rests on. */
  runUrl: string | null;
  /** Per-check values (smoke tests, metric checks), when the record carries them. */
  checks: Record<string, unknown>[];
}

/** A rollback of a deployment. */
export interface ExportRollback {
  rollbackDeploymentId: string | null;
  sha: string;
  state: string;
  at: string;
}

/** One export row: a deployment with everything that decided and happened to it, or a merge that bypassed the gate. */
export interface ExportRow {
  repository: string;
  stage: string;
  pullRequest: number | null;
  pullRequestTitle: string | null;
  pullRequestUrl: string | null;
  baseSha: string | null;
  headSha: string | null;
  /** `base..head`. */
  range: string;
  /** Null for a bypassed merge. */
  deploymentId: string | null;
  /** Commit deployed (deployment) or merge commit (bypass). */
  sha: string | null;
  /** Time of the deployment (or of the bypassed merge). */
  at: string;
  mergedBy: string | null;
  /** The policy file that applied; null on records made before it was recorded. */
  policy: PolicyEvidence | null;
  /** Commits in the range; null when unknown (an incomplete listing). */
  commitCount: number | null;
  /** Every commit of the range with author, committer and co-authors (from `promotion.commits`). */
  commits: PromotionCommit[];
  /** Logins, or git names without a login: authors and co-authors. */
  authors: string[];
  committers: string[];
  approvals: ExportApproval[];
  refusedApprovals: ExportRefusal[];
  /** Each required check with its app, conclusion and URL; null when not recorded. */
  requiredChecks: RequiredCheckEvidence[] | null;
  /** The gate's verdict per rule at merge; empty when not recorded. */
  rules: RuleEvidence[];
  gateState: string | null;
  /** Every status of the deployment in order; the last is the outcome. */
  statuses: ExportStatus[];
  /** The workflow run that deployed (the newest status's log URL). */
  workflowRunUrl: string | null;
  verification: ExportVerification | null;
  rollback: ExportRollback | null;
  bypass: boolean;
  bypassReasons: string[];
  /** The promotion PR was opened by Stagegate (a standing PR), when recorded. */
  standingPr: boolean;
  /** Stagegate merged the promotion itself (`auto_merge`), why, and how. */
  autoMerged: { via: string; why: string; at: string } | null;
  /** Teams (or users) on duty requested to review the promotion. */
  dutyRequested: string[];
  /** The GitHub Release published for this deployment (verified), if any. */
  release: { tag: string; url: string; at: string } | null;
  /**
   * `verified`: the chain was verified intact before the export (and this row's record with it);
   * `after-break`: built from a record at or after the first broken one; `unverified`: rows read
   * without verifying (the library's `exportRows` alone; the CLI always verifies).
   */
  integrity: 'verified' | 'after-break' | 'unverified';
  /** Seq and hash of the audit record the row is built from (check it with `verify`). */
  auditSeq: number;
  auditHash: string;
}

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

const str = (v: unknown): string | null => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const obj = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
const objOrNull = (v: unknown): Record<string, unknown> | null => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null);

function person(p: unknown): CommitPerson {
  const o = obj(p);
  return { login: str(o['login']), name: str(o['name']) ?? '', email: str(o['email']) ?? '' };
}

function personName(p: CommitPerson): string | null {
  return p.login ?? (p.name || null) ?? (p.email || null);
}

function uniq(values: Iterable<string | null>): string[] {
  return [...new Set([...values].filter((v): v is string => v !== null && v !== ''))];
}

type PromotionSummary = { commits: PromotionCommit[]; authors: string[]; committers: string[] };

function promotionKeyOf(r: AuditRecord): string | null {
  return r.pullRequest === null || r.headSha === null ? null : promotionCommitsKey(r.repository, r.pullRequest, r.headSha);
}

function summarisePromotion(rec: AuditRecord): PromotionSummary {
  const commits = arr(rec.details['commits']).map((c): PromotionCommit => {
    const o = obj(c);
    const v = objOrNull(o['verification']);
    return {
      sha: str(o['sha']) ?? '',
      author: person(o['author']),
      committer: person(o['committer']),
      coAuthors: arr(o['coAuthors']).map(person),
      ...(Array.isArray(o['pushers']) ? { pushers: uniq(arr(o['pushers']).map(str)) } : {}),
      ...(v ? { verification: { verified: v['verified'] === true, reason: str(v['reason']) ?? '' } } : {}),
    };
  });
  return {
    commits,
    authors: uniq(commits.flatMap((c) => [personName(c.author), ...c.coAuthors.map(personName)])),
    committers: uniq(commits.map((c) => personName(c.committer))),
  };
}

function policyOf(v: unknown): PolicyEvidence | null {
  const o = objOrNull(v);
  if (!o) return null;
  return {
    path: str(o['path']) ?? '',
    ref: str(o['ref']) ?? '',
    blobSha: str(o['blobSha']),
    fellBack: o['fellBack'] === true,
    extendsFrom: str(o['extendsFrom']),
    extendsBlobSha: str(o['extendsBlobSha']),
  };
}

function checksOf(v: unknown): RequiredCheckEvidence[] | null {
  if (!Array.isArray(v)) return null;
  return v.map((c) => {
    const o = obj(c);
    const source = str(o['source']);
    return {
      name: str(o['name']) ?? '',
      source: source === 'check_run' || source === 'status' ? source : null,
      app: str(o['app']),
      status: str(o['status']),
      conclusion: str(o['conclusion']),
      url: str(o['url']),
      at: str(o['at']),
    };
  });
}

/** The fields every row takes from the record it is built from. */
function rowIdentity(r: AuditRecord, opts: ExportOptions) {
  return {
    repository: r.repository,
    stage: r.stage,
    pullRequest: r.pullRequest,
    pullRequestTitle: str(r.details['pullRequestTitle']),
    pullRequestUrl: str(r.details['pullRequestUrl']),
    baseSha: r.baseSha,
    headSha: r.headSha,
    range: `${r.baseSha ?? ''}..${r.headSha ?? ''}`,
    at: r.at,
    integrity: opts.brokenFromSeq === undefined ? ('unverified' as const) : opts.brokenFromSeq !== null && r.seq >= opts.brokenFromSeq ? ('after-break' as const) : ('verified' as const),
  };
}

/**
 * Export rows of one repository in chain order, fetched page by page (memory stays flat): one per
 * `deployment.created` joined with the later records of its deployment and its promotion's commits,
 * and one per `merge.bypassed`. Throws, naming the record, when a deployment or bypass record lacks
 * its identifying field.
 */
export async function* exportRows(store: AuditDatabase, opts: ExportOptions): AsyncGenerator<ExportRow> {
  const pageSize = opts.pageSize ?? 500;
  const extras = await promotionExtras(store, opts.repository);
  let afterSeq = 0;
  for (;;) {
    const page = await store.scan(opts.repository, {
      afterSeq,
      limit: pageSize,
      kinds: ['deployment.created', 'merge.bypassed'],
      ...(opts.stage !== undefined ? { stage: opts.stage } : {}),
      ...(opts.since !== undefined ? { since: opts.since } : {}),
      ...(opts.until !== undefined ? { until: opts.until } : {}),
    });
    if (page.length === 0) return;
    const ids: string[] = [];
    for (const r of page) {
      if (r.kind !== 'deployment.created') continue;
      const id = deploymentIdOf(r.details);
      if (id === null) throw new Error(`audit record ${r.repository} seq ${r.seq} (deployment.created) has no deploymentId`);
      ids.push(id);
    }
    const follow = new Map<string, AuditRecord[]>();
    for (const rec of await store.byDeployment(opts.repository, ids, FOLLOW_KINDS)) {
      const id = deploymentIdOf(rec.details);
      if (id === null) continue;
      follow.set(id, [...(follow.get(id) ?? []), rec]);
    }
    const promotions = new Map<string, PromotionSummary>();
    const keys = page.map(promotionKeyOf).filter((k): k is string => k !== null);
    for (const rec of await store.findByKeys(keys)) {
      if (rec.kind === 'promotion.commits' && rec.repository === opts.repository) promotions.set(rec.key, summarisePromotion(rec));
    }
    for (const r of page) {
      const key = promotionKeyOf(r);
      const promotion = key === null ? null : (promotions.get(key) ?? null);
      if (r.kind === 'merge.bypassed') yield withExtras(bypassRow(r, promotion, opts), extras);
      else {
        const id = deploymentIdOf(r.details) as string;
        yield withExtras(
          deploymentRow(
            r,
            id,
            (follow.get(id) ?? []).filter((f) => f.seq > r.seq),
            promotion,
            opts,
          ),
          extras,
        );
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

function deploymentRow(r: AuditRecord, id: string, later: AuditRecord[], promotion: PromotionSummary | null, opts: ExportOptions): ExportRow {
  const d = r.details;
  const statuses: ExportStatus[] = [];
  let verification: ExportVerification | null = null;
  let rollback: ExportRollback | null = null;
  let release: ExportRow['release'] = null;
  for (const f of later) {
    const fd = f.details;
    if (f.kind === 'deployment.status') {
      statuses.push({ state: str(fd['state']) ?? 'unknown', description: str(fd['description']), at: f.at, logUrl: str(fd['logUrl']) });
    } else if (f.kind === 'verification.result') {
      verification = {
        result: str(fd['result']) ?? 'unknown',
        reasonCode: str(fd['reasonCode']),
        description: str(fd['description']) ?? '',
        at: f.at,
        trusted: typeof fd['trusted'] === 'boolean' ? fd['trusted'] : null,
        why: str(fd['why']),
        runUrl: str(fd['runUrl']),
        checks: arr(fd['checks']).map(obj),
      };
    } else if (f.kind === 'release.published') {
      release = { tag: str(fd['tag']) ?? '', url: str(fd['url']) ?? '', at: f.at };
    } else if (f.kind === 'rollback') {
      rollback = { rollbackDeploymentId: str(fd['rollbackDeploymentId']), sha: str(fd['sha']) ?? '', state: str(fd['state']) ?? 'unknown', at: f.at };
    }
  }
  const recordedAuthors = arr(d['authors']).map(str);
  return {
    ...rowIdentity(r, opts),
    deploymentId: id,
    sha: str(d['sha']),
    mergedBy: str(d['mergedBy']) ?? r.actor,
    policy: policyOf(d['policy']),
    commitCount: typeof d['commitCount'] === 'number' ? d['commitCount'] : 'commitCount' in d ? null : (promotion?.commits.length ?? null),
    commits: promotion?.commits ?? [],
    authors: recordedAuthors.length ? uniq(recordedAuthors) : (promotion?.authors ?? []),
    committers: promotion?.committers ?? [],
    approvals: arr(d['approvers']).map((a) => {
      const o = obj(a);
      return { login: str(o['login']) ?? '', commitId: str(o['commitId']) ?? '', submittedAt: str(o['submittedAt']) ?? '' };
    }),
    refusedApprovals: arr(d['refused']).map((a) => {
      const o = obj(a);
      return { login: str(o['login']) ?? '', commitId: str(o['commitId']) ?? '', submittedAt: str(o['submittedAt']) ?? '', refusal: str(o['refusal']) ?? '' };
    }),
    requiredChecks: checksOf(d['requiredChecks']),
    rules: arr(d['rules']).map((x) => {
      const o = obj(x);
      return { id: str(o['id']) ?? '', title: str(o['title']) ?? '', state: str(o['state']) ?? '', reason: str(o['reason']) ?? '' };
    }),
    gateState: str(d['gateState']),
    statuses,
    workflowRunUrl: verification?.runUrl ?? [...statuses].reverse().find((s) => s.logUrl)?.logUrl ?? null,
    verification,
    rollback,
    bypass: false,
    bypassReasons: [],
    standingPr: false,
    autoMerged: null,
    dutyRequested: [],
    release,
    auditSeq: r.seq,
    auditHash: r.hash,
  };
}

function bypassRow(r: AuditRecord, promotion: PromotionSummary | null, opts: ExportOptions): ExportRow {
  const d = r.details;
  const sha = str(d['mergeCommitSha']);
  if (sha === null) throw new Error(`audit record ${r.repository} seq ${r.seq} (merge.bypassed) has no mergeCommitSha`);
  return {
    ...rowIdentity(r, opts),
    deploymentId: null,
    sha,
    mergedBy: str(d['mergedBy']) ?? r.actor,
    policy: policyOf(d['policy']),
    commitCount: promotion ? promotion.commits.length : null,
    commits: promotion?.commits ?? [],
    authors: promotion?.authors ?? [],
    committers: promotion?.committers ?? [],
    approvals: [],
    refusedApprovals: [],
    requiredChecks: null,
    rules: [],
    gateState: str(d['gateState']),
    statuses: [],
    workflowRunUrl: null,
    verification: null,
    rollback: null,
    bypass: true,
    bypassReasons: arr(d['reasons'])
      .map(str)
      .filter((v): v is string => v !== null),
    standingPr: false,
    autoMerged: null,
    dutyRequested: [],
    release: null,
    auditSeq: r.seq,
    auditHash: r.hash,
  };
}
