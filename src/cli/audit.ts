import { createWriteStream, renameSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { exportChunks, type ExportFormat } from '../audit/export.js';
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
  repository: string;
  format: ExportFormat;
  since?: string;
  until?: string;
  stage?: string;
  out?: string;
}

export function exportRequest(values: { repo?: string; format?: string; since?: string; until?: string; stage?: string; out?: string }): ExportRequest {
  if (values.repo === undefined) throw new UsageError('--repo owner/name is required for audit export');
  if (values.format !== 'csv' && values.format !== 'json') {
    throw new UsageError(values.format === undefined ? '--format csv|json is required for audit export' : `--format: expected csv or json, got ${JSON.stringify(values.format)}`);
  }
  const req: ExportRequest = { repository: values.repo, format: values.format };
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

/** `audit verify`: walks the chains and prints what it found. */
export async function runVerify(store: AuditDatabase, repo: string | undefined, json: boolean, stdout: Writable, err: (msg: string) => void): Promise<number> {
  const reports: ChainReport[] = await verifyStore(store, repo ? [repo] : undefined);
  if (repo && reports.every((r) => r.records === 0)) {
    err(`no audit records for ${repo} in ${store.location}`);
    return EXIT.usage;
  }
  const code = verifyExitCode(reports);
  if (json) {
    await write(stdout, `${JSON.stringify({ store: store.location, exitCode: code, chains: reports }, null, 2)}\n`);
    return code;
  }
  for (const r of reports) {
    if (r.problem) {
      await write(stdout, `${r.problem.kind.toUpperCase()} ${r.repository}: ${r.problem.message}\n`);
    } else {
      await write(stdout, `ok ${r.repository}: ${r.records} records intact; head seq ${r.head?.seq ?? 0} hash ${r.head?.hash ?? '-'}\n`);
    }
  }
  const counts = new Map<string, number>();
  for (const r of reports) counts.set(r.problem?.kind ?? 'intact', (counts.get(r.problem?.kind ?? 'intact') ?? 0) + 1);
  const summary = [...counts].map(([k, n]) => `${n} ${k}`).join(', ') || 'no audit records';
  await write(stdout, `audit verify: ${reports.length} chain(s) in ${store.location}: ${summary} (exit ${code})\n`);
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
  let rows = 0;
  try {
    const opts = {
      repository: req.repository,
      ...(req.since !== undefined ? { since: req.since } : {}),
      ...(req.until !== undefined ? { until: req.until } : {}),
      ...(req.stage !== undefined ? { stage: req.stage } : {}),
    };
    for await (const chunk of exportChunks(store, opts, req.format, (n) => (rows = n))) {
      if (streamError) throw streamError;
      await write(out, chunk);
    }
    if (partial !== undefined && target !== undefined) {
      await new Promise<void>((res, rej) => (out as NodeJS.WritableStream).end(() => (streamError ? rej(streamError) : res())));
      renameSync(partial, target);
      err(`exported ${rows} row(s) of ${req.repository} to ${target}`);
    }
    if (streamError) throw streamError;
    return EXIT.ok;
  } catch (error) {
    if (partial !== undefined) {
      out.destroy();
      rmSync(partial, { force: true });
    }
    throw error;
  } finally {
    out.off('error', onError);
  }
}
