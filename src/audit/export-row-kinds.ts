import { arr, checksOf, obj, policyOf, rowIdentity, str, uniq, type PromotionSummary } from './export-fields.js';
import type { ExportOptions, ExportRollback, ExportRow, ExportStatus, ExportVerification } from './export-types.js';
import { deploymentIdOf } from './hash.js';
import type { AuditRecord } from './types.js';

// One builder per row kind: a deployment, a bypassed merge, a refused deployment.

/** The command recorded on a deployment made by a ChatOps command (`deploy` again, `rollback`). */
function commandOf(v: unknown): ExportRow['command'] {
  if (v === null || typeof v !== 'object') return null;
  const o = obj(v);
  const name = str(o['command']);
  return name ? { name, text: `/stagegate ${name}`, by: str(o['by']), role: null, outcome: 'done', result: '', commentUrl: str(o['commentUrl']) } : null;
}

/** A deployment row: the decision `d` (from `deployment.created` or `merge.approved`) and what happened later. */
export function deploymentRow(r: AuditRecord, d: Record<string, unknown>, id: string, later: AuditRecord[], promotion: PromotionSummary | null, opts: ExportOptions): ExportRow {
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
        valuesWhy: str(fd['valuesWhy']) ?? (Array.isArray(fd['checks']) ? null : 'not recorded (a record made before verification values were recorded)'),
      };
    } else if (f.kind === 'release.published') {
      release = { tag: str(fd['tag']) ?? '', url: str(fd['url']) ?? '', at: f.at };
    } else if (f.kind === 'rollback') {
      rollback = { rollbackDeploymentId: str(fd['rollbackDeploymentId']), sha: str(fd['sha']) ?? '', state: str(fd['state']) ?? 'unknown', at: f.at };
    }
  }
  const recordedAuthors = arr(d['authors']).map(str);
  return {
    kind: 'deployment',
    ...rowIdentity(r, opts, d),
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
    refusal: null,
    standingPr: false,
    autoMerged: null,
    dutyRequested: [],
    release,
    command: commandOf(d['command']),
    breakGlass: null,
    auditSeq: r.seq,
    auditHash: r.hash,
  };
}

/** A row of `kind` for record `r` with every field but its identity empty: each row kind fills in its own. */
export function emptyRow(r: AuditRecord, opts: ExportOptions, kind: ExportRow['kind']): ExportRow {
  return {
    kind,
    ...rowIdentity(r, opts),
    deploymentId: null,
    sha: null,
    mergedBy: null,
    policy: null,
    commitCount: null,
    commits: [],
    authors: [],
    committers: [],
    approvals: [],
    refusedApprovals: [],
    requiredChecks: null,
    rules: [],
    gateState: null,
    statuses: [],
    workflowRunUrl: null,
    verification: null,
    rollback: null,
    bypass: false,
    bypassReasons: [],
    refusal: null,
    standingPr: false,
    autoMerged: null,
    dutyRequested: [],
    release: null,
    command: null,
    breakGlass: null,
    auditSeq: r.seq,
    auditHash: r.hash,
  };
}

/** A merge that bypassed the gate (an admin merge): who merged, why, and the range it let through. */
export function bypassRow(r: AuditRecord, promotion: PromotionSummary | null, opts: ExportOptions): ExportRow {
  const d = r.details;
  const sha = str(d['mergeCommitSha']);
  if (sha === null) throw new Error(`audit record ${r.repository} seq ${r.seq} (merge.bypassed) has no mergeCommitSha`);
  return {
    ...emptyRow(r, opts, 'bypass'),
    sha,
    mergedBy: str(d['mergedBy']) ?? r.actor,
    policy: policyOf(d['policy']),
    commitCount: promotion ? promotion.commits.length : null,
    commits: promotion?.commits ?? [],
    authors: promotion?.authors ?? [],
    committers: promotion?.committers ?? [],
    gateState: str(d['gateState']),
    bypass: true,
    bypassReasons: arr(d['reasons'])
      .map(str)
      .filter((v): v is string => v !== null),
  };
}

/** A deployment refused before anything ran: by the Action's preflight, or by the app's protection-rule answer. */
export function refusedRow(r: AuditRecord, opts: ExportOptions): ExportRow {
  const d = r.details;
  const id = deploymentIdOf(d);
  if (id === null) throw new Error(`audit record ${r.repository} seq ${r.seq} (${r.kind}) has no deploymentId`);
  const byAction = r.kind === 'deploy.refused';
  return {
    ...emptyRow(r, opts, 'refused'),
    deploymentId: id,
    sha: str(d['sha']),
    refusal: {
      by: byAction ? 'action' : 'protection-rule',
      reasonCode: byAction ? str(d['reasonCode']) : null,
      reason: (byAction ? str(d['description']) : str(d['reason'])) ?? '',
      requestedBy: byAction ? str(d['deploymentCreator']) : r.actor,
      runId: typeof d['runId'] === 'number' ? d['runId'] : null,
    },
  };
}
