import { createWriteStream, renameSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { BrokenChainError, exportChunks, type ExportFormat, type ExportRequestOptions, type ExportSummary } from '../audit/export.js';
import { verifyAnchors, type AnchorReport, type FoundAnchor } from '../audit/anchor-verify.js';
import type { AuditDatabase, ChainReport } from '../audit/types.js';
import { verifyExitCode, verifyStore } from '../audit/verify.js';
import { EXIT, UsageError, write } from './common.js';

/** Parses `--since`/`--until` into an ISO bound: since inclusive, until exclusive. */
export function parseTimeBound(value: string, flag: '--since' | '--until'): string {
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (day) {
    const d = new Date(`${value}T00:00:00.000Z`);
    if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== value) {
      throw new UsageError(`${flag}: ${JSON.stringify(value)} is not a valid date`);
    }
    if (flag === '--until') d.setUTCDate(d.getUTCDate() + 1);
    return d.toISOString();
  }
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(value)) {
    const d = new Date(value);
    if (!Number.isNaN(d.getTime())) {
      return flag === '--until' ? new Date(d.getTime() + 1).toISOString() : d.toISOString();
    }
  }
  throw new UsageError(`${flag}: expected YYYY-MM-DD or an ISO 8601 time with a zone (e.g. 2026-11-22T10:00:00Z), got ${JSON.stringify(value)}`);
}

/** What `audit export` was asked for. */
export interface ExportRequest {
  repositories: string[] | 'all';
  format: ExportFormat;
  allowBroken: boolean;
  since?: string;
  until?: string;
  stage?: string;
  out?: string;
}

const FORMATS: readonly ExportFormat[] = ['csv', 'json', 'ndjson'];

/** Checks the flags of `audit export`. */
export function exportRequest(values: { repo?: string[]; all?: boolean; format?: string; since?: string; until?: string; stage?: string; out?: string; 'allow-broken'?: boolean }): ExportRequest {
  const repos = values.repo ?? [];
  if (repos.length === 0 && !values.all) throw new UsageError('--repo owner/name (repeatable) or --all is required for audit export');
  if (repos.length > 0 && values.all) throw new UsageError('--repo and --all cannot be combined');
  if (!FORMATS.includes(values.format as ExportFormat)) {
    throw new UsageError(values.format === undefined ? '--format csv|json|ndjson is required for audit export' : `--format: expected csv, json or ndjson, got ${JSON.stringify(values.format)}`);
  }
  const req: ExportRequest = { repositories: values.all ? 'all' : repos, format: values.format as ExportFormat, allowBroken: values['allow-broken'] === true };
  if (values.since !== undefined) req.since = parseTimeBound(values.since, '--since');
  if (values.until !== undefined) req.until = parseTimeBound(values.until, '--until');
  if (req.since !== undefined && req.until !== undefined && req.since >= req.until) {
    throw new UsageError('--since must be before --until');
  }
  if (values.stage !== undefined) {
    if (values.stage === '') throw new UsageError('--stage: expected a stage name');
    req.stage = values.stage;
  }
  if (values.out !== undefined) {
    if (values.out === '') throw new UsageError('--out: expected a file name');
    req.out = values.out;
  }
  return req;
}

/** Exit codes `audit verify --anchors` adds: the stored chain disagrees with what GitHub shows. */
export const ANCHOR_EXIT = { rewritten: 6, truncated: 7, unanchored: 8 } as const;

/** The anchors published for a repository (read from GitHub by the caller). */
export type AnchorReader = (repository: string) => Promise<FoundAnchor[]>;

/**
 * `audit verify`: walks the chains and prints what it found; with `anchors`, also checks each chain
 * against the heads the app published on GitHub.
 */
export async function runVerify(store: AuditDatabase, repos: readonly string[], json: boolean, stdout: Writable, err: (msg: string) => void, anchors?: AnchorReader): Promise<number> {
  const reports: ChainReport[] = await verifyStore(store, repos.length ? repos : undefined);
  const empty = reports.filter((r) => r.records === 0).map((r) => r.repository);
  if (repos.length && empty.length) {
    err(`no audit records for ${empty.join(', ')} in ${store.location}`);
    return EXIT.usage;
  }
  const anchorReports: AnchorReport[] = [];
  if (anchors) for (const r of reports) anchorReports.push(await verifyAnchors(store, r.repository, await anchors(r.repository)));
  const anchorProblem = anchorReports.find((a) => a.problem)?.problem;
  const code = verifyExitCode(reports) || (anchorProblem ? ANCHOR_EXIT[anchorProblem.kind] : 0);
  if (json) {
    await write(stdout, `${JSON.stringify({ store: store.location, exitCode: code, chains: reports, ...(anchors ? { anchors: anchorReports } : {}) }, null, 2)}\n`);
    return code;
  }
  for (const r of reports) {
    if (r.problem) {
      await write(stdout, `${r.problem.kind.toUpperCase()} ${r.repository}: ${r.problem.message}\n`);
    } else {
      await write(stdout, `ok ${r.repository}: ${r.records} records intact; head seq ${r.head?.seq ?? 0} hash ${r.head?.hash ?? '-'}\n`);
    }
  }
  for (const a of anchorReports) {
    if (a.problem) await write(stdout, `${a.problem.kind.toUpperCase()} ${a.repository}: ${a.problem.message}\n`);
    else {
      const after = a.unanchoredRecords > 0 ? `; ${a.unanchoredRecords} newer record(s) not anchored yet` : '';
      await write(stdout, `anchored ${a.repository}: ${a.anchors} anchor(s) on GitHub match the stored chain; newest: record ${a.newest?.seq} (${a.newest?.source})${after}\n`);
    }
  }
  const counts = new Map<string, number>();
  for (const r of reports) counts.set(r.problem?.kind ?? 'intact', (counts.get(r.problem?.kind ?? 'intact') ?? 0) + 1);
  for (const a of anchorReports) if (a.problem) counts.set(a.problem.kind, (counts.get(a.problem.kind) ?? 0) + 1);
  const summary = [...counts].map(([k, n]) => `${n} ${k}`).join(', ') || 'no audit records';
  await write(stdout, `audit verify: ${reports.length} chain(s) in ${store.location}${anchors ? ', checked against GitHub' : ''}: ${summary} (exit ${code})\n`);
  return code;
}

/** `audit export`: streams the rows to stdout or, whole or not at all, to `--out`. */
export async function runExport(store: AuditDatabase, req: ExportRequest, stdout: Writable, cwd: string, err: (msg: string) => void): Promise<number> {
  const target = req.out !== undefined ? resolve(cwd, req.out) : undefined;
  const partial = target !== undefined ? `${target}.partial-${process.pid}` : undefined;
  const out: Writable = partial !== undefined ? createWriteStream(partial, { flags: 'wx', mode: 0o600 }) : stdout;
  let streamError: Error | undefined;
  const onError = (e: Error): void => {
    streamError = e;
  };
  out.on('error', onError);
  let summary: ExportSummary = { rows: 0, chains: [] };
  try {
    const opts: ExportRequestOptions = {
      repositories: req.repositories,
      allowBroken: req.allowBroken,
      ...(req.since !== undefined ? { since: req.since } : {}),
      ...(req.until !== undefined ? { until: req.until } : {}),
      ...(req.stage !== undefined ? { stage: req.stage } : {}),
    };
    for await (const chunk of exportChunks(store, opts, req.format, (s) => (summary = s))) {
      if (streamError) throw streamError;
      await write(out, chunk);
    }
    if (partial !== undefined && target !== undefined) {
      await new Promise<void>((res, rej) => (out as NodeJS.WritableStream).end(() => (streamError ? rej(streamError) : res())));
      renameSync(partial, target);
    }
    if (streamError) throw streamError;
    const broken = summary.chains.filter((c) => c.problem);
    for (const c of broken) err(`warning: ${c.repository} is broken (${c.problem!.message}); rows from seq ${c.problem!.seq} on are marked integrity=after-break`);
    const names = summary.chains.map((c) => c.repository);
    const what = names.length === 1 ? names[0] : `${names.length} repositories`;
    if (target !== undefined) err(`exported ${summary.rows} row(s) of ${what} to ${target}; ${summary.chains.length - broken.length} of ${summary.chains.length} chain(s) verified intact first`);
    return broken.length ? verifyExitCode(summary.chains) : EXIT.ok;
  } catch (error) {
    if (partial !== undefined) {
      out.destroy();
      rmSync(partial, { force: true });
    }
    if (error instanceof BrokenChainError) {
      err(`audit export refused: ${error.message}`);
      return verifyExitCode(error.reports);
    }
    throw error;
  } finally {
    out.off('error', onError);
  }
}
