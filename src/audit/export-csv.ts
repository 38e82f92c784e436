import type { ExportRow } from './export-rows.js';
import type { CommitPerson } from './types.js';

type Cell = string | number | boolean | null;

/** A person on a commit as one CSV text: `login <email>`, or `Name <email>` without a login. */
function personText(p: CommitPerson): string {
  const who = p.login ?? p.name;
  return p.email ? `${who} <${p.email}>` : who;
}

const list = (items: readonly string[]): string => items.join('; ');

/** One check's values as CSV text: `metric 5xx ratio: pass, observed max 0.002 (3 samples), threshold ≤ 0.01`. */
function checkValuesText(c: Record<string, unknown>): string {
  const s = (k: string): string => {
    const v = c[k];
    return typeof v === 'string' ? v : '?';
  };
  return `${s('kind')} ${s('name')}: ${s('verdict')}, observed ${s('observed')}, threshold ${s('threshold')}`;
}

/**
 * The CSV columns in order, each with how it is written. Lists are `; `-separated; the JSON and
 * NDJSON exports carry the same data as structured values (see docs/audit.md for both).
 */
const COLUMNS = {
  row_kind: (r) => r.kind,
  repository: (r) => r.repository,
  stage: (r) => r.stage,
  pull_request: (r) => r.pullRequest,
  pull_request_title: (r) => r.pullRequestTitle,
  pull_request_url: (r) => r.pullRequestUrl,
  base_sha: (r) => r.baseSha,
  head_sha: (r) => r.headSha,
  deployment_id: (r) => r.deploymentId,
  deployed_sha: (r) => r.sha,
  deployed_at: (r) => r.at,
  merged_by: (r) => r.mergedBy,
  policy_path: (r) => r.policy?.path ?? null,
  policy_ref: (r) => r.policy?.ref ?? null,
  policy_blob_sha: (r) => r.policy?.blobSha ?? null,
  policy_from_default_branch: (r) => (r.policy ? r.policy.fellBack : null),
  policy_extends: (r) => r.policy?.extendsFrom ?? null,
  policy_extends_blob_sha: (r) => r.policy?.extendsBlobSha ?? null,
  commit_count: (r) => r.commitCount,
  commit_shas: (r) => list(r.commits.map((c) => c.sha)),
  commits: (r) =>
    list(
      r.commits.map(
        (c) =>
          `${c.sha} author ${personText(c.author)} committer ${personText(c.committer)}` +
          (c.coAuthors.length ? ` co-authors ${c.coAuthors.map(personText).join(', ')}` : '') +
          (c.pushers?.length ? ` pushed by ${c.pushers.join(', ')}` : '') +
          (c.verification ? ` signature ${c.verification.verified ? 'verified' : `unverified (${c.verification.reason})`}` : ''),
      ),
    ),
  authors: (r) => list(r.authors),
  committers: (r) => list(r.committers),
  approvals_counted: (r) => list(r.approvals.map((a) => `${a.login} approved ${a.commitId} at ${a.submittedAt}`)),
  approvals_refused: (r) => list(r.refusedApprovals.map((a) => `${a.login} refused (${a.refusal}) on ${a.commitId}${a.submittedAt ? ` at ${a.submittedAt}` : ''}`)),
  required_checks: (r) =>
    r.requiredChecks === null
      ? null
      : list(r.requiredChecks.map((c) => (c.source === null ? `${c.name}: not reported` : `${c.name}: ${c.conclusion ?? c.status} (${c.source} by ${c.app ?? 'unknown'})${c.url ? ` ${c.url}` : ''}`))),
  rule_results: (r) => list(r.rules.map((x) => `${x.id}: ${x.state} (${x.reason})`)),
  gate_state: (r) => r.gateState,
  deployment_statuses: (r) => list(r.statuses.map((s) => `${s.state} at ${s.at}`)),
  final_status: (r) => r.statuses.at(-1)?.state ?? null,
  final_status_description: (r) => r.statuses.at(-1)?.description ?? null,
  workflow_run_url: (r) => r.workflowRunUrl,
  verification_result: (r) => r.verification?.result ?? null,
  verification_reason: (r) => r.verification?.reasonCode ?? null,
  verification_description: (r) => r.verification?.description ?? null,
  verification_trusted: (r) => r.verification?.trusted ?? null,
  verification_trust_reason: (r) => r.verification?.why ?? null,
  verification_values: (r) => (r.verification ? list(r.verification.checks.map(checkValuesText)) : null),
  verification_values_note: (r) => r.verification?.valuesWhy ?? null,
  rollback_deployment_id: (r) => r.rollback?.rollbackDeploymentId ?? null,
  rollback_sha: (r) => r.rollback?.sha ?? null,
  rollback_state: (r) => r.rollback?.state ?? null,
  bypass: (r) => r.bypass,
  bypass_reasons: (r) => list(r.bypassReasons),
  standing_pr: (r) => r.standingPr,
  auto_merged: (r) => (r.autoMerged ? `${r.autoMerged.via} at ${r.autoMerged.at}: ${r.autoMerged.why}` : null),
  duty_requested: (r) => list(r.dutyRequested),
  release_tag: (r) => r.release?.tag ?? null,
  release_url: (r) => r.release?.url ?? null,
  refused_by: (r) => r.refusal?.by ?? null,
  refusal_reason_code: (r) => r.refusal?.reasonCode ?? null,
  refusal_reason: (r) => r.refusal?.reason ?? null,
  refused_deployment_requested_by: (r) => r.refusal?.requestedBy ?? null,
  refused_run_id: (r) => r.refusal?.runId ?? null,
  command: (r) => r.command?.name ?? null,
  command_text: (r) => r.command?.text ?? null,
  command_by: (r) => r.command?.by ?? null,
  command_role: (r) => r.command?.role ?? null,
  command_outcome: (r) => r.command?.outcome ?? null,
  command_result: (r) => r.command?.result ?? null,
  comment_url: (r) => r.command?.commentUrl ?? r.breakGlass?.commentUrl ?? null,
  break_glass_by: (r) => r.breakGlass?.by ?? null,
  break_glass_reason: (r) => r.breakGlass?.reason ?? null,
  break_glass_waived: (r) => (r.breakGlass ? list(r.breakGlass.waived) : null),
  break_glass_follow_up_url: (r) => r.breakGlass?.issueUrl ?? null,
  break_glass_follow_up: (r) =>
    r.breakGlass ? `${r.breakGlass.state}: ${r.breakGlass.approvals.length} of ${r.breakGlass.required} approvals (${list(r.breakGlass.approvals)}) due ${r.breakGlass.deadline}` : null,
  integrity: (r) => r.integrity,
  audit_seq: (r) => r.auditSeq,
  audit_hash: (r) => r.auditHash,
} satisfies Record<string, (r: ExportRow) => Cell>;

/** CSV columns, in order (documented in docs/audit.md). */
export const CSV_COLUMNS = Object.keys(COLUMNS) as (keyof typeof COLUMNS)[];

/**
 * One CSV field per RFC 4180 (quoted when it holds a comma, quote, CR or LF; quotes doubled).
 * A field that a spreadsheet would run as a formula (starts with = + - @ tab or CR) gets a leading
 * apostrophe; the JSON export keeps values exact.
 */
export function csvField(value: Cell): string {
  if (value === null) return '';
  let s = String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The CSV header line (CRLF-terminated). */
export function csvHeader(): string {
  return `${CSV_COLUMNS.join(',')}\r\n`;
}

/** One row as a CSV line (CRLF-terminated). */
export function csvLine(row: ExportRow): string {
  return `${CSV_COLUMNS.map((c) => csvField(COLUMNS[c](row))).join(',')}\r\n`;
}
