import { csvField } from '../audit/export-csv.js';
import type { HealthReport } from './compute.js';
import type { StageFigures } from './queries.js';

/** `3d 4h`, `2h 05m`, `12m`, `45s`: a duration as people read it (two units at most). */
export function formatDuration(msValue: number | null): string {
  if (msValue === null) return '—';
  const s = Math.round(msValue / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** `25%`, or `—` when nothing reached a verdict. */
export function formatRate(failed: number, total: number): string {
  return total === 0 ? '—' : `${Math.round((failed / total) * 1000) / 10}%`;
}

/** Deployments per day, one decimal. */
export function perDay(count: number, days: number): number {
  return Math.round((count / Math.max(1, days)) * 10) / 10;
}

/** One row of the figures: a stage over a period, flat (the CLI's JSON and CSV, the page's table). */
export interface FigureRow {
  repository: string;
  stage: string;
  period: string;
  from: string;
  to: string;
  verifiedDeployments: number;
  deploymentsPerDay: number;
  leadTimeCommits: number;
  leadTimeMedianSeconds: number | null;
  leadTimeP90Seconds: number | null;
  changeFailures: number;
  deploymentsWithVerdict: number;
  changeFailureRate: number | null;
  failures: number;
  restored: number;
  openFailures: number;
  timeToRestoreMedianSeconds: number | null;
  unverifiedPending: number;
  unverifiedUntrusted: number;
  refused: number;
}

const sec = (v: number | null): number | null => (v === null ? null : Math.round(v / 1000));

/** The figures of a report as flat rows, stage by stage, period by period. */
export function figureRows(report: HealthReport): FigureRow[] {
  return report.stages.flatMap((s) =>
    report.periods.map((p, i) => {
      const f = s.figures[i] as StageFigures;
      return {
        repository: report.repository,
        stage: s.stage,
        period: p.id,
        from: new Date(p.startMs).toISOString(),
        to: new Date(p.endMs).toISOString(),
        verifiedDeployments: f.verified,
        deploymentsPerDay: perDay(f.verified, p.days),
        leadTimeCommits: f.leadTime.commits,
        leadTimeMedianSeconds: sec(f.leadTime.medianMs),
        leadTimeP90Seconds: sec(f.leadTime.p90Ms),
        changeFailures: f.failed,
        deploymentsWithVerdict: f.withVerdict,
        changeFailureRate: f.withVerdict === 0 ? null : f.failed / f.withVerdict,
        failures: f.restore.failures,
        restored: f.restore.restored,
        openFailures: f.restore.failures - f.restore.restored,
        timeToRestoreMedianSeconds: sec(f.restore.medianMs),
        unverifiedPending: f.unverified.pending,
        unverifiedUntrusted: f.unverified.untrusted,
        refused: f.unverified.refused,
      };
    }),
  );
}

/** The figures as CSV (RFC 4180, formula-safe fields, as the audit export writes them). */
export function figuresCsv(report: HealthReport): string {
  const rows = figureRows(report);
  const columns = Object.keys(rows[0] ?? emptyRow()) as (keyof FigureRow)[];
  const head = columns.map((c) => csvField(c)).join(',');
  return [head, ...rows.map((r) => columns.map((c) => csvField(r[c])).join(','))].map((l) => `${l}\r\n`).join('');
}

function emptyRow(): FigureRow {
  return figureRows({
    repository: '',
    zone: 'UTC',
    generatedAt: '',
    periods: [{ id: '', label: '', startMs: 0, endMs: 0, days: 1 }],
    chart: { id: '', label: '', startMs: 0, endMs: 0, days: 1 },
    stages: [{ stage: '', running: null, inProgress: null, figures: [emptyFigures()], series: [] }],
    recent: [],
  })[0]!;
}

function emptyFigures(): StageFigures {
  return {
    verified: 0,
    withVerdict: 0,
    failed: 0,
    unverified: { pending: 0, untrusted: 0, refused: 0 },
    leadTime: { commits: 0, medianMs: null, p90Ms: null },
    restore: { failures: 0, restored: 0, medianMs: null },
  };
}

/** The figures as an aligned text table, one block per stage. */
export function figuresTable(report: HealthReport): string {
  const out: string[] = [`Delivery health of ${report.repository} (from its audit trail; days in ${report.zone})`, ''];
  if (report.stages.length === 0) out.push('No deployments recorded yet.');
  for (const s of report.stages) {
    out.push(`${s.stage}`);
    const header = ['period', 'deploys', '/day', 'lead median', 'lead p90', 'change failure', 'restore median', 'unverified'];
    const rows = report.periods.map((p, i) => {
      const f = s.figures[i] as StageFigures;
      const open = f.restore.failures - f.restore.restored;
      const unverified = [
        f.unverified.pending ? `${f.unverified.pending} running` : '',
        f.unverified.untrusted ? `${f.unverified.untrusted} untrusted` : '',
        f.unverified.refused ? `${f.unverified.refused} refused` : '',
      ]
        .filter(Boolean)
        .join(', ');
      return [
        p.label,
        String(f.verified),
        String(perDay(f.verified, p.days)),
        formatDuration(f.leadTime.medianMs),
        formatDuration(f.leadTime.p90Ms),
        f.withVerdict ? `${formatRate(f.failed, f.withVerdict)} (${f.failed}/${f.withVerdict})` : '—',
        `${formatDuration(f.restore.medianMs)}${open ? ` (${open} open)` : ''}`,
        unverified || '—',
      ];
    });
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (cells: string[]) => `  ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')}`.trimEnd();
    out.push(line(header), ...rows.map(line), '');
  }
  return `${out.join('\n').trimEnd()}\n`;
}
