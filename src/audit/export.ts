import { deploymentIdOf } from './hash.js';
import { promotionCommitsKey, type AuditDatabase, type AuditKind, type AuditRecord, type CommitPerson, type DeploymentApprover, type DeploymentRefusedApproval } from './types.js';

/** Filters of an export. `since` is inclusive, `until` exclusive (normalised ISO times). */
export interface ExportOptions {
  repository: string;
  since?: string;
  until?: string;
  stage?: string;
  /** Rows fetched per query (default 500). */
  pageSize?: number;
}

/** The latest status set on a deployment. */
export interface ExportDeployResult {
  state: string;
  description: string | null;
  at: string;
  logUrl: string | null;
}

/** The verification outcome of a deployment. */
export interface ExportVerification {
  result: string;
  reasonCode: string | null;
  description: string;
  at: string;
}

/** A rollback of a deployment. */
export interface ExportRollback {
  rollbackDeploymentId: string | null;
  sha: string;
  state: string;
  at: string;
}

/** One export row: a deployment (with what happened to it), or a merge that bypassed the gate. */
export interface ExportRow {
  repository: string;
  stage: string;
  pullRequest: number | null;
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
  commitCount: number | null;
  /** Logins, or git names without a login. */
  authors: string[];
  /** Committers from the promotion's recorded commits, when recorded. */
  committers: string[];
  approvers: DeploymentApprover[];
  refused: DeploymentRefusedApproval[];
  gateState: string | null;
  deployResult: ExportDeployResult | null;
  verification: ExportVerification | null;
  rollback: ExportRollback | null;
  bypass: boolean;
  bypassReasons: string[];
  /** Seq and hash of the audit record the row is built from. */
  auditSeq: number;
  auditHash: string;
}

const FOLLOW_KINDS: readonly AuditKind[] = ['deployment.status', 'verification.result', 'rollback'];

const str = (v: unknown): string | null => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const obj = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});

function personName(p: unknown): string | null {
  const o = obj(p) as Partial<CommitPerson>;
  return str(o.login) ?? str(o.name) ?? str(o.email);
}

function uniq(values: Iterable<string | null>): string[] {
  return [...new Set([...values].filter((v): v is string => v !== null && v !== ''))];
}

/** The fields every export row takes from the record it is built from. */
function rowIdentity(r: AuditRecord) {
  return {
    repository: r.repository,
    stage: r.stage,
    pullRequest: r.pullRequest,
    baseSha: r.baseSha,
    headSha: r.headSha,
    range: `${r.baseSha ?? ''}..${r.headSha ?? ''}`,
    at: r.at,
  };
}

/** The chain position of the record a row is built from (last in a row). */
function rowSeal(r: AuditRecord) {
  return { auditSeq: r.seq, auditHash: r.hash };
}

/**
 * Export rows of one repository in chain order, fetched page by page (memory stays flat): one per
 * `deployment.created` joined with later records of its deploymentId, and one per `merge.bypassed`.
 * Throws, naming the record, when a deployment or bypass record lacks its identifying field.
 */
export async function* exportRows(store: AuditDatabase, opts: ExportOptions): AsyncGenerator<ExportRow> {
  const pageSize = opts.pageSize ?? 500;
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
      if (id === null) {
        throw new Error(`audit record ${r.repository} seq ${r.seq} (deployment.created) has no deploymentId`);
      }
      ids.push(id);
    }
    const follow = new Map<string, AuditRecord[]>();
    for (const rec of await store.byDeployment(opts.repository, ids, FOLLOW_KINDS)) {
      const id = deploymentIdOf(rec.details);
      if (id === null) continue;
      const list = follow.get(id) ?? [];
      list.push(rec);
      follow.set(id, list);
    }
    const promotions = new Map<string, PromotionSummary>();
    const keys = page.map(promotionKeyOf).filter((k): k is string => k !== null);
    for (const rec of await store.findByKeys(keys)) {
      if (rec.kind === 'promotion.commits' && rec.repository === opts.repository) {
        promotions.set(rec.key, summarisePromotion(rec));
      }
    }
    for (const r of page) {
      const key = promotionKeyOf(r);
      const promotion = key === null ? null : (promotions.get(key) ?? null);
      if (r.kind === 'merge.bypassed') {
        yield bypassRow(r, promotion);
      } else {
        const id = deploymentIdOf(r.details) as string;
        yield deploymentRow(
          r,
          id,
          (follow.get(id) ?? []).filter((f) => f.seq > r.seq),
          promotion,
        );
      }
    }
    const last = page[page.length - 1];
    if (!last || page.length < pageSize) return;
    afterSeq = last.seq;
  }
}

type PromotionSummary = { count: number; authors: string[]; committers: string[] };

function promotionKeyOf(r: AuditRecord): string | null {
  return r.pullRequest === null || r.headSha === null ? null : promotionCommitsKey(r.repository, r.pullRequest, r.headSha);
}

function summarisePromotion(rec: AuditRecord): PromotionSummary {
  const commits = arr(rec.details['commits']).map(obj);
  return {
    count: commits.length,
    authors: uniq(commits.flatMap((c) => [personName(c['author']), ...arr(c['coAuthors']).map(personName)])),
    committers: uniq(commits.map((c) => personName(c['committer']))),
  };
}

function deploymentRow(r: AuditRecord, id: string, later: AuditRecord[], promotion: PromotionSummary | null): ExportRow {
  const d = r.details;
  let deployResult: ExportDeployResult | null = null;
  let verification: ExportVerification | null = null;
  let rollback: ExportRollback | null = null;
  for (const f of later) {
    const fd = f.details;
    if (f.kind === 'deployment.status') {
      deployResult = {
        state: str(fd['state']) ?? 'unknown',
        description: str(fd['description']),
        at: f.at,
        logUrl: str(fd['logUrl']),
      };
    } else if (f.kind === 'verification.result') {
      verification = {
        result: str(fd['result']) ?? 'unknown',
        reasonCode: str(fd['reasonCode']),
        description: str(fd['description']) ?? '',
        at: f.at,
      };
    } else if (f.kind === 'rollback') {
      rollback = {
        rollbackDeploymentId: str(fd['rollbackDeploymentId']),
        sha: str(fd['sha']) ?? '',
        state: str(fd['state']) ?? 'unknown',
        at: f.at,
      };
    }
  }
  const recordedAuthors = arr(d['authors']).map(str);
  return {
    ...rowIdentity(r),
    deploymentId: id,
    sha: str(d['sha']),
    mergedBy: str(d['mergedBy']) ?? r.actor,
    commitCount: typeof d['commitCount'] === 'number' ? d['commitCount'] : (promotion?.count ?? null),
    authors: recordedAuthors.length ? uniq(recordedAuthors) : (promotion?.authors ?? []),
    committers: promotion?.committers ?? [],
    approvers: arr(d['approvers']).map((a) => {
      const o = obj(a);
      return { login: str(o['login']) ?? '', submittedAt: str(o['submittedAt']) ?? '', commitId: str(o['commitId']) ?? '' };
    }),
    refused: arr(d['refused']).map((a) => {
      const o = obj(a);
      return { login: str(o['login']) ?? '', refusal: str(o['refusal']) ?? '', commitId: str(o['commitId']) ?? '' };
    }),
    gateState: str(d['gateState']),
    deployResult,
    verification,
    rollback,
    bypass: false,
    bypassReasons: [],
    ...rowSeal(r),
  };
}

function bypassRow(r: AuditRecord, promotion: PromotionSummary | null): ExportRow {
  const d = r.details;
  const sha = str(d['mergeCommitSha']);
  if (sha === null) throw new Error(`audit record ${r.repository} seq ${r.seq} (merge.bypassed) has no mergeCommitSha`);
  return {
    ...rowIdentity(r),
    deploymentId: null,
    sha,
    mergedBy: str(d['mergedBy']) ?? r.actor,
    commitCount: promotion?.count ?? null,
    authors: promotion?.authors ?? [],
    committers: promotion?.committers ?? [],
    approvers: [],
    refused: [],
    gateState: str(d['gateState']),
    deployResult: null,
    verification: null,
    rollback: null,
    bypass: true,
    bypassReasons: arr(d['reasons'])
      .map(str)
      .filter((v): v is string => v !== null),
    ...rowSeal(r),
  };
}

/** CSV columns, in order. */
export const CSV_COLUMNS = [
  'repository',
  'stage',
  'pull_request',
  'range',
  'base_sha',
  'head_sha',
  'deployment_id',
  'sha',
  'at',
  'merged_by',
  'commit_count',
  'authors',
  'committers',
  'approvers',
  'refused_approvals',
  'gate_state',
  'deploy_result',
  'verification',
  'rollback',
  'bypass',
  'bypass_reasons',
  'audit_seq',
  'audit_hash',
] as const;

/**
 * One CSV field per RFC 4180 (quoted when it holds a comma, quote, CR or LF; quotes doubled).
 * A field that a spreadsheet would run as a formula (starts with = + - @ tab or CR) gets a leading
 * apostrophe; the JSON export keeps values exact.
 */
export function csvField(value: string | number | boolean | null): string {
  if (value === null) return '';
  let s = String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The CSV header line (CRLF-terminated). */
export function csvHeader(): string {
  return `${CSV_COLUMNS.join(',')}\r\n`;
}

/** One row as a CSV line (CRLF-terminated). Lists are joined with "; ". */
export function csvLine(row: ExportRow): string {
  const values: Record<(typeof CSV_COLUMNS)[number], string | number | boolean | null> = {
    repository: row.repository,
    stage: row.stage,
    pull_request: row.pullRequest,
    range: row.range,
    base_sha: row.baseSha,
    head_sha: row.headSha,
    deployment_id: row.deploymentId,
    sha: row.sha,
    at: row.at,
    merged_by: row.mergedBy,
    commit_count: row.commitCount,
    authors: row.authors.join('; '),
    committers: row.committers.join('; '),
    approvers: row.approvers.map((a) => `${a.login} approved ${a.commitId} at ${a.submittedAt}`).join('; '),
    refused_approvals: row.refused.map((a) => `${a.login} refused (${a.refusal}) on ${a.commitId}`).join('; '),
    gate_state: row.gateState,
    deploy_result: row.deployResult ? row.deployResult.state + (row.deployResult.description ? `: ${row.deployResult.description}` : '') : null,
    verification: row.verification
      ? `${row.verification.result}${row.verification.reasonCode ? ` (${row.verification.reasonCode})` : ''}` + (row.verification.description ? `: ${row.verification.description}` : '')
      : null,
    rollback: row.rollback ? `to ${row.rollback.sha} (${row.rollback.state}${row.rollback.rollbackDeploymentId ? `, deployment ${row.rollback.rollbackDeploymentId}` : ''})` : null,
    bypass: row.bypass,
    bypass_reasons: row.bypassReasons.join('; '),
    audit_seq: row.auditSeq,
    audit_hash: row.auditHash,
  };
  return `${CSV_COLUMNS.map((c) => csvField(values[c])).join(',')}\r\n`;
}

/** Export formats. */
export type ExportFormat = 'csv' | 'json';

/**
 * Streams the export as text chunks: CSV (header + one line per row) or a JSON array written
 * element by element. Returns the number of rows through `onDone`.
 */
export async function* exportChunks(store: AuditDatabase, opts: ExportOptions, format: ExportFormat, onDone?: (rows: number) => void): AsyncGenerator<string> {
  let rows = 0;
  if (format === 'csv') {
    yield csvHeader();
    for await (const row of exportRows(store, opts)) {
      rows++;
      yield csvLine(row);
    }
  } else {
    yield '[';
    for await (const row of exportRows(store, opts)) {
      yield `${rows === 0 ? '\n' : ',\n'}${JSON.stringify(row)}`;
      rows++;
    }
    yield rows === 0 ? ']\n' : '\n]\n';
  }
  onDone?.(rows);
}
