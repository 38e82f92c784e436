/** The page of one repository: what runs where, open promotions, locks, pending commits, metrics with charts, recent promotions, definitions. */
import type { StageLock } from '../../locks/types.js';
import type { HealthReport, RecentPromotion, Running, StageHealth } from '../compute.js';
import { METRICS, VERIFIED_DEFINITION } from '../definitions.js';
import { formatDuration, formatRate, perDay } from '../format.js';
import type { DeploymentRow } from '../queries.js';
import { renderChart, type ChartKind } from './charts.js';
import { documentOf, esc, link, shaLink, time, unreadable } from './html.js';
import type { OpenPromotion, Pending, RepoView, StagePolicy } from './view.js';

const badge = (cls: 'ok' | 'bad' | 'wait' | 'none', text: string): string => `<span class="state ${cls}">${esc(text)}</span>`;

function prLink(htmlUrl: string, n: number | null): string {
  return n === null ? '—' : link(`${htmlUrl}/pull/${n}`, `#${n}`);
}

function runningCell(htmlUrl: string, r: Running): string {
  switch (r.kind) {
    case 'verified':
      return `${shaLink(htmlUrl, r.deployment.sha)} ${badge('ok', 'verified')}`;
    case 'rolled-back':
      return `${shaLink(htmlUrl, r.sha)} ${badge('bad', 'rolled back')} from ${shaLink(htmlUrl, r.deployment.sha)}${r.target ? ` (verified ${time(r.target.verifiedMs)})` : ''}`;
    case 'failed':
      return `${shaLink(htmlUrl, r.deployment.sha)} ${badge('bad', 'failed verification')}`;
    case 'untrusted':
      return `${shaLink(htmlUrl, r.deployment.sha)} ${badge('wait', 'not verified')} (success reported by a source that is not evidence)`;
  }
}

function runningRow(htmlUrl: string, s: StageHealth): string {
  if (!s.running) return `<tr><th scope="row">${esc(s.stage)}</th><td colspan="5">No deployment recorded in the audit trail yet.</td></tr>`;
  const d = s.running.kind === 'rolled-back' && s.running.target ? s.running.target : s.running.deployment;
  const promoted = s.running.deployment;
  const progress = s.inProgress ? `<br>${badge('wait', 'deploying')} ${shaLink(htmlUrl, s.inProgress.sha)} since ${time(s.inProgress.createdMs)}` : '';
  return (
    `<tr><th scope="row">${esc(s.stage)}</th><td>${runningCell(htmlUrl, s.running)}${progress}</td>` +
    `<td>${prLink(htmlUrl, d.pullRequest)}${d !== promoted ? ` (failed: ${prLink(htmlUrl, promoted.pullRequest)})` : ''}</td>` +
    `<td>${esc(d.mergedBy ?? '—')}</td><td>${d.approvers.length ? esc(d.approvers.join(', ')) : '—'}</td><td>${time(s.running.sinceMs)}</td></tr>`
  );
}

function runningSection(v: RepoView): string {
  const head = '<h2 id="running">What runs where</h2>';
  if (!v.health.ok) return head + unreadable('The audit trail', v.health.error);
  const rows = v.health.value.stages.map((s) => runningRow(v.htmlUrl, s)).join('');
  return `${head}<table><caption class="visually-hidden">Running deployment per stage</caption><thead><tr><th scope="col">stage</th><th scope="col">running</th><th scope="col">promotion</th><th scope="col">merged by</th><th scope="col">signed off by</th><th scope="col">since</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function gateBadge(p: OpenPromotion): string {
  if (!p.gate.ok) return unreadable('The gate', p.gate.error);
  const g = p.gate.value;
  const b = g.state === 'green' ? badge('ok', 'green') : g.state === 'red' ? badge('bad', 'red') : g.state === 'pending' ? badge('wait', 'pending') : badge('none', 'not evaluated yet');
  return `${b}${g.title ? ` ${g.url ? link(g.url, g.title) : esc(g.title)}` : ''}`;
}

function promotionsSection(v: RepoView): string {
  const head = '<h2 id="promotions">Open promotions</h2>';
  if (!v.promotions.ok) return head + unreadable('The open promotion pull requests', v.promotions.error);
  if (v.promotions.value.length === 0) return `${head}<p>No promotion pull request is open.</p>`;
  const rows = v.promotions.value
    .map((p) => `<tr><td>${esc(p.stage)}</td><td>${link(p.url, `#${p.number} ${p.title}`)}</td><td>${esc(p.author ?? '—')}</td><td>${shaLink(v.htmlUrl, p.headSha)}</td><td>${gateBadge(p)}</td></tr>`)
    .join('');
  return `${head}<table><thead><tr><th scope="col">stage</th><th scope="col">pull request</th><th scope="col">opened by</th><th scope="col">head</th><th scope="col">gate</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function locksSection(v: RepoView): string {
  const head = '<h2 id="locks">Locks</h2>';
  if (!v.locks.ok) return head + unreadable('The stage locks', v.locks.error);
  if (v.locks.value.length === 0) return `${head}<p>No stage is locked.</p>`;
  const row = (l: StageLock): string =>
    `<tr><td>${esc(l.stage)}</td><td>${esc(l.holder)}</td><td>${esc(l.reason ?? '—')}</td><td>${time(Date.parse(l.lockedAt))}</td><td>${l.expiresAt ? time(Date.parse(l.expiresAt)) : 'until unlocked'}</td></tr>`;
  return `${head}<table><thead><tr><th scope="col">stage</th><th scope="col">held by</th><th scope="col">reason</th><th scope="col">since</th><th scope="col">until</th></tr></thead><tbody>${v.locks.value.map(row).join('')}</tbody></table>`;
}

function pendingOne(v: RepoView, p: Pending): string {
  const title = `<h3 data-pending="${esc(p.stage)}">${esc(p.stage)}: ${p.total === 0 ? 'nothing pending' : `${p.total} commit${p.total === 1 ? '' : 's'} in ${esc(p.head)} not yet in ${esc(p.base)}`}</h3>`;
  if (p.total === 0) return title;
  const items = p.commits.map((c) => `<li>${shaLink(v.htmlUrl, c.sha)} ${esc(c.message)} <span>— ${esc(c.author ?? 'unknown author')}</span></li>`).join('');
  const more = p.total > p.commits.length ? `<p>${link(p.compareUrl, `and ${p.total - p.commits.length} more on GitHub`)}</p>` : '';
  return `${title}<ul>${items}</ul>${more}`;
}

function pendingSection(v: RepoView): string {
  const head = '<h2 id="pending">Pending</h2>';
  if (!v.pending.ok) return head + unreadable('The pending commits', v.pending.error);
  return head + v.pending.value.map((p) => pendingOne(v, p)).join('');
}

const CHARTS: Array<{ kind: ChartKind; title: string }> = [
  { kind: 'deployments', title: 'Deployment frequency' },
  { kind: 'lead-time', title: 'Lead time for changes (median)' },
  { kind: 'failure-rate', title: 'Change failure rate' },
  { kind: 'restore', title: 'Time to restore (median)' },
];

async function metricsOf(report: HealthReport, s: StageHealth): Promise<string> {
  const cols = report.periods.map((p) => `<th scope="col">${esc(p.label)}</th>`).join('');
  const row = (name: string, cell: (i: number) => string): string => `<tr><th scope="row">${esc(name)}</th>${report.periods.map((_, i) => `<td>${cell(i)}</td>`).join('')}</tr>`;
  const f = (i: number) => s.figures[i]!;
  const table =
    `<table class="metrics" data-stage="${esc(s.stage)}"><caption class="visually-hidden">Delivery metrics of ${esc(s.stage)}</caption><thead><tr><th scope="col">metric</th>${cols}</tr></thead><tbody>` +
    row('Deployment frequency', (i) => `${f(i).verified} verified (${Math.round(perDay(f(i).verified * 7, report.periods[i]!.days) * 10) / 10}/week)`) +
    row('Lead time for changes', (i) => `median ${esc(formatDuration(f(i).leadTime.medianMs))}, p90 ${esc(formatDuration(f(i).leadTime.p90Ms))} (${f(i).leadTime.commits} commits)`) +
    row('Change failure rate', (i) => `${esc(formatRate(f(i).failed, f(i).withVerdict))} (${f(i).failed} of ${f(i).withVerdict})`) +
    row('Time to restore', (i) => `median ${esc(formatDuration(f(i).restore.medianMs))} (${f(i).restore.restored} restored, ${f(i).restore.failures - f(i).restore.restored} open)`) +
    row('Not counted', (i) => `${f(i).unverified.pending} running, ${f(i).unverified.untrusted} untrusted, ${f(i).unverified.refused} refused`) +
    '</tbody></table>';
  const svgs = await Promise.all(CHARTS.map((c) => renderChart(c.kind, s.series)));
  const figures = CHARTS.map((c, i) => `<figure class="chart" data-chart="${c.kind}"><figcaption>${esc(c.title)}, ${esc(report.chart.label)}</figcaption>${svgs[i]}</figure>`).join('');
  return `<h3>${esc(s.stage)}</h3>${table}<div class="charts">${figures}</div>`;
}

async function metricsSection(v: RepoView): Promise<string> {
  const head = '<h2 id="metrics">Delivery metrics</h2>';
  if (!v.health.ok) return head + unreadable('The audit trail', v.health.error);
  const r = v.health.value;
  const stages = await Promise.all(r.stages.map((s) => metricsOf(r, s)));
  return `${head}<p>From the app's audit trail; days in ${esc(r.zone)}; charts per ${r.chart.days <= 31 ? 'day' : 'week'}.</p>${stages.join('')}`;
}

function recentResult(htmlUrl: string, d: DeploymentRow): string {
  if (d.rollbackSha) return `${badge('bad', 'failed')} rolled back to ${shaLink(htmlUrl, d.rollbackSha)} (${esc(d.rollbackState ?? 'unknown')})`;
  if (d.failedMs !== null) return `${badge('bad', 'failed')}${d.outcomeReason ? ` ${esc(d.outcomeReason)}` : ''}`;
  if (d.verifiedMs !== null) return badge('ok', 'verified');
  if (d.refusedMs !== null) return `${badge('none', 'refused')}${d.outcomeReason ? ` ${esc(d.outcomeReason)}` : ''}`;
  if (d.untrustedMs !== null) return badge('wait', 'untrusted success');
  return badge('wait', d.lastState ?? 'started');
}

function recentSection(v: RepoView): string {
  const head = '<h2 id="recent">Recent promotions</h2>';
  if (!v.health.ok) return head + unreadable('The audit trail', v.health.error);
  if (v.health.value.recent.length === 0) return `${head}<p>No promotion recorded yet.</p>`;
  const row = (r: RecentPromotion): string =>
    r.kind === 'deployment'
      ? `<tr><td>${time(r.deployment.createdMs)}</td><td>${esc(r.deployment.stage)}</td><td>${prLink(v.htmlUrl, r.deployment.pullRequest)}</td><td>${shaLink(v.htmlUrl, r.deployment.sha)}</td><td>${esc(r.deployment.mergedBy ?? '—')}</td><td>${recentResult(v.htmlUrl, r.deployment)}</td></tr>`
      : `<tr><td>${time(Date.parse(r.bypass.at))}</td><td>${esc(r.bypass.stage)}</td><td>${prLink(v.htmlUrl, r.bypass.pullRequest)}</td><td>${shaLink(v.htmlUrl, r.bypass.sha)}</td><td>${esc(r.bypass.mergedBy ?? '—')}</td><td>${badge('bad', 'merged past a red gate')} nothing deployed${r.bypass.reasons.length ? `: ${esc(r.bypass.reasons.join('; '))}` : ''}</td></tr>`;
  return `${head}<table><thead><tr><th scope="col">when</th><th scope="col">stage</th><th scope="col">promotion</th><th scope="col">commit</th><th scope="col">merged by</th><th scope="col">result</th></tr></thead><tbody>${v.health.value.recent.map(row).join('')}</tbody></table>`;
}

function definitionsSection(): string {
  const defs = METRICS.map((m) => `<dt>${esc(m.title)}</dt><dd>${esc(m.definition)}</dd>`).join('');
  return `<h2 id="definitions">How these are measured</h2><dl class="defs"><dt>Verified</dt><dd>${esc(VERIFIED_DEFINITION)}</dd>${defs}</dl>`;
}

function policyNote(v: RepoView): string {
  if (!v.policy.ok) return unreadable('The policy (.github/stagegate.yml on the default branch)', v.policy.error);
  const s = (p: StagePolicy): string => `${esc(p.from)} → ${esc(p.branch)} (${esc(p.name)})`;
  return `<p>Stages: ${v.policy.value.map(s).join(', ') || 'none'}.</p>`;
}

/** The page of one repository. */
export async function renderRepoPage(v: RepoView): Promise<string> {
  const main = [
    `<h1>${link(v.htmlUrl, v.repository)}</h1>`,
    policyNote(v),
    runningSection(v),
    promotionsSection(v),
    locksSection(v),
    pendingSection(v),
    await metricsSection(v),
    recentSection(v),
    definitionsSection(),
  ].join('\n');
  return documentOf(v.repository, v.viewer, main);
}
