import type { AuditDatabase } from '../audit/types.js';
import { deliveryHealth } from '../health/compute.js';
import { figureRows, figuresCsv, figuresTable } from '../health/format.js';
import { between, isValidZone } from '../health/periods.js';
import { parseTimeBound } from './audit.js';
import { EXIT, REPO_PATTERN, UsageError, write, type CliIo } from './common.js';

/** What `stagegate metrics` was asked for. */
export interface MetricsRequest {
  repository: string;
  stage?: string;
  since?: string;
  until?: string;
  zone: string;
  format: 'table' | 'json' | 'csv';
}

/** Checks the flags of `stagegate metrics`. */
export function metricsRequest(values: { repo?: string[]; stage?: string; since?: string; until?: string; tz?: string; format?: string }): MetricsRequest {
  const repos = values.repo ?? [];
  if (repos.length !== 1) throw new UsageError('metrics needs one --repo owner/name');
  const repository = repos[0]!;
  if (!REPO_PATTERN.test(repository)) throw new UsageError(`--repo: expected owner/name, got ${JSON.stringify(repository)}`);
  const format = values.format ?? 'table';
  if (format !== 'table' && format !== 'json' && format !== 'csv') throw new UsageError(`--format: expected table, json or csv, got ${JSON.stringify(format)}`);
  const zone = values.tz ?? 'UTC';
  if (!isValidZone(zone)) throw new UsageError(`--tz: ${JSON.stringify(zone)} is not an IANA time zone such as Europe/Berlin or UTC`);
  if (values.until !== undefined && values.since === undefined) throw new UsageError('--until goes with --since');
  const req: MetricsRequest = { repository, zone, format };
  if (values.stage !== undefined) {
    if (values.stage === '') throw new UsageError('--stage: expected a stage name');
    req.stage = values.stage;
  }
  if (values.since !== undefined) req.since = parseTimeBound(values.since, '--since');
  if (values.until !== undefined) req.until = parseTimeBound(values.until, '--until');
  if (req.since !== undefined && req.until !== undefined && req.since >= req.until) throw new UsageError('--since must be before --until');
  return req;
}

/** Prints the delivery metrics of a repository from the audit store: the same figures as the page, from the same code. */
export async function runMetrics(store: AuditDatabase, req: MetricsRequest, io: CliIo, now = new Date()): Promise<number> {
  const periods = req.since !== undefined ? [between(new Date(req.since), req.until !== undefined ? new Date(req.until) : now, req.zone)] : undefined;
  const report = await deliveryHealth(store, {
    repository: req.repository,
    ...(req.stage !== undefined ? { stage: req.stage } : {}),
    ...(periods ? { periods } : {}),
    zone: req.zone,
    now,
  });
  if (req.format === 'json') await write(io.stdout, `${JSON.stringify({ repository: report.repository, zone: report.zone, generatedAt: report.generatedAt, figures: figureRows(report) }, null, 2)}\n`);
  else if (req.format === 'csv') await write(io.stdout, figuresCsv(report));
  else await write(io.stdout, figuresTable(report));
  return EXIT.ok;
}
