import { formatDuration } from '../config/duration.js';
import type { CheckResult, CommandOutcome, DeployAttempt, DeploymentReport, ReasonCode } from '../deploy/types.js';
import { deploymentMarker } from '../protocol/markers.js';
import { GITHUB_TEXT_LIMIT, truncateMarkdown } from './limits.js';
import { shortSha, tableCell, truncate } from '../text.js';

/** GitHub's limit on a step's job summary (1 MiB), in characters, with a little room left. */
export const JOB_SUMMARY_LIMIT = 1024 * 1024 - 1024;

/** Escapes text for one markdown table cell and caps its length. */
export function cell(text: string, max = 160): string {
  return truncate(tableCell(text).replace(/`/g, "'"), max);
}

/** Evidence values as text (evidence is recorded data of any shape). */
const text = (v: unknown, none: string): string => (v === undefined || v === null ? none : typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : JSON.stringify(v));

const verdictText = (ok: boolean): string => (ok ? '✅ pass' : '❌ fail');

function deployRow(o: CommandOutcome | null, timeout: string | null): string | null {
  if (!o) return null;
  const ok = !o.timedOut && !o.spawnError && o.exitCode === 0;
  const observed = o.spawnError ? `could not start: ${o.spawnError}` : o.timedOut ? 'timed out' : o.exitCode !== null ? `exit ${o.exitCode}` : `killed by ${o.signal ?? 'signal'}`;
  return `| deploy command | ${cell(observed)} | ${cell(`exit 0${timeout ? ` within ${timeout}` : ''}`)} | ${verdictText(ok)} | ${formatDuration(o.durationMs)} |`;
}

function checkRow(c: CheckResult): string {
  const label = c.kind === 'metric' ? `metric: ${c.name}` : c.kind === 'http' ? `smoke: ${c.name}` : `smoke (command): ${c.name}`;
  return `| ${cell(label)} | ${cell(c.observed)} | ${cell(c.threshold)} | ${verdictText(c.verdict === 'pass')} | ${formatDuration(c.durationMs)} |`;
}

/** The result table of one attempt: the deploy command, then smoke tests, then metric checks. */
export function renderTable(a: DeployAttempt, deployTimeout: string | null = null): string {
  const rows = [deployRow(a.deploy, deployTimeout), ...a.smoke.map(checkRow), ...a.metrics.map(checkRow)].filter((r): r is string => r !== null);
  if (rows.length === 0) return '_Nothing ran._';
  return ['| Check | Observed | Threshold | Verdict | Duration |', '| --- | --- | --- | --- | --- |', ...rows].join('\n');
}

function fence(text: string, max: number): string {
  const body = text.length > max ? `…${text.slice(-max)}` : text;
  const ticks = body.includes('```') ? '````' : '```';
  return `${ticks}\n${body.replace(/\s+$/, '')}\n${ticks}`;
}

function evidenceBlocks(a: DeployAttempt, label: string): string[] {
  const blocks: string[] = [];
  if (a.deploy && (a.deploy.timedOut || a.deploy.exitCode !== 0 || a.deploy.spawnError)) {
    blocks.push(`<details><summary>${label}deploy command output (tail)</summary>\n\n${fence(a.deploy.outputTail || '(no output)', 3000)}\n\n</details>`);
  }
  for (const c of [...a.smoke, ...a.metrics]) {
    if (c.verdict === 'pass') continue;
    const lines = [`<details><summary>${label}${c.kind === 'metric' ? 'metric' : 'smoke'} <b>${escapeHtml(c.name)}</b>: ${escapeHtml(c.reason ?? 'failed')}</summary>\n`];
    const ev = c.evidence;
    if (c.kind === 'http') {
      lines.push(`- URL: ${text(ev.url, '')}`, `- status: ${text(ev.status, 'none')}`, `- attempts: ${text(ev.attempts, '1')}`);
      if (typeof ev.bodyHead === 'string') lines.push('', 'First bytes of the body:', '', fence(ev.bodyHead || '(empty)', 600));
      if (typeof ev.error === 'string') lines.push(`- error: ${ev.error}`);
    } else if (c.kind === 'command') {
      lines.push(`- command: \`${cell(text(ev.command, ''), 300)}\``, `- exit code: ${text(ev.exitCode, 'none')}`, `- attempts: ${text(ev.attempts, '1')}`);
      lines.push('', 'Output (tail):', '', fence(text(ev.outputTail, '') || '(no output)', 2000));
    } else {
      lines.push(`- query: \`${cell(text(ev.query, ''), 500)}\``);
      const history = Array.isArray(ev.history) ? (ev.history as { at: string; series: { labels: Record<string, string>; value: number | null }[] }[]) : [];
      if (history.length) {
        lines.push('', 'Observed values:', '');
        for (const h of history.slice(-10)) {
          const vals = h.series.length ? h.series.map((s) => `${Object.values(s.labels).join(',') || 'value'}=${s.value === null ? 'NaN' : s.value}`).join(' ') : 'no data';
          lines.push(`- ${h.at}: ${cell(vals, 300)}`);
        }
      }
    }
    lines.push('', '</details>');
    blocks.push(lines.join('\n'));
  }
  return blocks;
}

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function heading(r: DeploymentReport): string {
  const env = `**${r.environment}**`;
  const sha = `\`${shortSha(r.sha)}\``;
  if (r.dryRun) return `### 🧪 Dry run: ${sha} to ${env} — ${r.result === 'success' ? 'would deploy' : `refused (${r.reasonCode})`}`;
  switch (r.result) {
    case 'success':
      return `### ✅ Deployed ${sha} to ${env}: all checks passed`;
    case 'rolled_back':
      return `### ↩️ Deploy of ${sha} to ${env} failed (${r.reasonCode}); rolled back to \`${shortSha(r.rollback?.toSha)}\``;
    default:
      if (r.reasonCode === 'rollback-failed') return `### 🚨 ROLLBACK FAILED: ${env} is in an unknown state. Deploy of ${sha} failed and the rollback to \`${shortSha(r.rollback?.toSha)}\` failed too`;
      if (!r.attempt) return `### ⛔ Did not deploy ${sha} to ${env}: ${r.reasonCode}`;
      return `### ❌ Deploy of ${sha} to ${env} failed: ${r.reasonCode}`;
  }
}

/** The in-progress comment shown while the deploy runs. */
export function renderInProgress(p: { environment: string; sha: string; deploymentId: number; previousSha: string | null; runUrl: string | null; compareUrl: string | null }): string {
  const lines = [
    deploymentMarker(p.deploymentId),
    `### ⏳ Deploying \`${shortSha(p.sha)}\` to **${p.environment}** (deployment ${p.deploymentId})`,
    '',
    links(p.runUrl, p.compareUrl, p.previousSha, p.sha),
    '',
    '_Deploy, smoke tests and metric checks are running; this comment is updated with the result._',
  ];
  return lines.join('\n');
}

function links(runUrl: string | null, compareUrl: string | null, prev: string | null, sha: string): string {
  const parts: string[] = [];
  if (runUrl) parts.push(`[workflow run](${runUrl})`);
  if (compareUrl) parts.push(`changes: [\`${shortSha(prev)}...${shortSha(sha)}\`](${compareUrl})`);
  else if (prev && prev === sha) parts.push('changes: none (redeploy of the commit already running)');
  else parts.push('changes: first deployment to this environment (no earlier successful deployment)');
  return parts.join(' · ');
}

function reasonLine(code: ReasonCode, message: string): string {
  return code === 'ok' ? '' : `**Reason:** \`${code}\`: ${cell(message, 1000)}`;
}

/**
 * The full report as markdown: heading, links, the result table (and the rollback's), then
 * evidence of failed checks while it fits. `withMarker` adds the comment marker first.
 */
export function renderDeployReport(r: DeploymentReport, opts: { withMarker?: boolean; limit?: number } = {}): string {
  const limit = opts.limit ?? GITHUB_TEXT_LIMIT;
  const head: string[] = [];
  if (opts.withMarker !== false && r.deploymentId !== null) head.push(deploymentMarker(r.deploymentId));
  head.push(heading(r), '');
  const facts = [`environment \`${r.environment}\``, `commit \`${r.sha}\``];
  if (r.deploymentId !== null) facts.push(`deployment ${r.deploymentId}`);
  facts.push(`took ${formatDuration(r.durationMs)}`);
  head.push(facts.join(' · '), '', links(r.runUrl, r.compareUrl, r.previousSha, r.sha));
  const reason = reasonLine(r.reasonCode, r.message);
  if (reason) head.push('', reason);
  if (r.environmentUrl && r.result === 'success') head.push('', `Environment: ${r.environmentUrl}`);
  if (r.attempt) head.push('', renderTable(r.attempt, r.deployTimeout));
  if (r.rollback) {
    const rb = r.rollback;
    head.push('', `#### ${rb.succeeded ? '↩️ Rollback' : '🚨 Rollback FAILED'}: \`${shortSha(rb.fromSha)}\` → \`${shortSha(rb.toSha)}\``, '');
    const range = r.compareUrl ? `[\`${shortSha(rb.toSha)}...${shortSha(rb.fromSha)}\`](${r.compareUrl})` : `\`${shortSha(rb.toSha)}...${shortSha(rb.fromSha)}\``;
    const what = [rb.succeeded ? `Rolled back the changes ${range}` : `Tried to roll back the changes ${range}`];
    what.push(`${rb.succeeded ? 'redeployed' : 'redeploying'} \`${rb.toSha}\` (last good deployment ${rb.previousDeploymentId})${rb.succeeded ? '' : ' failed'}`);
    if (rb.attempt) what.push(`as deployment ${rb.attempt.deploymentId}`);
    head.push(`${what.join('; ')}.`, '', rb.succeeded ? `Rollback verified: ${cell(rb.message, 500)}` : `**${cell(rb.message, 1000)}**`);
    if (rb.attempt) head.push('', renderTable(rb.attempt, r.deployTimeout));
  } else if (r.rollbackSkipped) {
    head.push('', `**No rollback:** ${cell(r.rollbackSkipped, 500)}`);
  }
  if (r.warnings.length) head.push('', ...r.warnings.map((w) => `> ⚠️ ${cell(w, 500)}`));
  let text = head.join('\n');
  const blocks = [...(r.attempt ? evidenceBlocks(r.attempt, '') : []), ...(r.rollback?.attempt ? evidenceBlocks(r.rollback.attempt, 'rollback: ') : [])];
  const reserve = 200;
  let left = 0;
  for (const b of blocks) {
    if (text.length + b.length + 2 + reserve <= limit) text += `\n\n${b}`;
    else left++;
  }
  if (left) text += `\n\n_${left} evidence section${left === 1 ? '' : 's'} left out to fit GitHub's size limit; the full report is the action's \`report\` output._`;
  return truncateMarkdown(text, limit);
}

/** The job summary: the same report without the marker, within the job summary limit. */
export function renderJobSummary(r: DeploymentReport): string {
  return renderDeployReport(r, { withMarker: false, limit: JOB_SUMMARY_LIMIT });
}
