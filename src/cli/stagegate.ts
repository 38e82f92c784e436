import { once } from 'node:events';
import { createWriteStream, renameSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { exportChunks, type ExportFormat } from '../audit/export.js';
import { openAuditStore } from '../audit/open.js';
import type { AuditDatabase, ChainReport } from '../audit/types.js';
import { VERIFY_EXIT, verifyExitCode, verifyStore } from '../audit/verify.js';

/** Where the CLI reads and writes; injectable for tests. */
export interface CliIo {
  stdout: Writable;
  stderr: Writable;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/** Exit codes of `stagegate`. `audit verify` adds 3 edited, 4 deleted, 5 reordered. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

const USAGE = `Usage:
  stagegate audit verify [--repo owner/name] [--json] [store]
  stagegate audit export --repo owner/name --format csv|json [--since DATE] [--until DATE]
                         [--stage NAME] [--out FILE] [store]

Store (default: the embedded database .data/stagegate.db under the working directory):
  --database-url URL   PostgreSQL (default: $DATABASE_URL)
  --data-dir DIR       directory of the embedded database (default: $STAGEGATE_DATA_DIR, else .data)

DATE is YYYY-MM-DD (UTC day) or an ISO 8601 time with a zone; --since is inclusive, --until
includes the whole day (or the exact time) given.

audit verify exit codes: 0 intact, 3 a record was edited, 4 records were deleted,
5 records were reordered, 2 usage or connection error, 1 unexpected error.
`;

class UsageError extends Error {}

const OPTIONS = {
  repo: { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
  stage: { type: 'string' },
  format: { type: 'string' },
  out: { type: 'string' },
  json: { type: 'boolean' },
  'data-dir': { type: 'string' },
  'database-url': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const ALLOWED: Record<string, readonly (keyof typeof OPTIONS)[]> = {
  verify: ['repo', 'json', 'data-dir', 'database-url', 'help'],
  export: ['repo', 'since', 'until', 'stage', 'format', 'out', 'data-dir', 'database-url', 'help'],
};

const REPO = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

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

async function write(out: Writable, chunk: string): Promise<void> {
  if (!out.write(chunk)) await once(out, 'drain');
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: readonly string[], io: Partial<CliIo> = {}): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const env = io.env ?? process.env;
  const cwd = io.cwd ?? process.cwd();
  const err = (msg: string): void => {
    stderr.write(`stagegate: ${msg}\n`);
  };
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    err(`${(error as Error).message}\n\n${USAGE}`);
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length === 0 || positionals[0] === 'help') {
    stdout.write(USAGE);
    return values.help || positionals[0] === 'help' ? EXIT.ok : EXIT.usage;
  }
  const [group, command, ...rest] = positionals;
  if (group !== 'audit' || (command !== 'verify' && command !== 'export') || rest.length > 0) {
    err(`unknown command ${JSON.stringify(positionals.join(' '))}\n\n${USAGE}`);
    return EXIT.usage;
  }
  const allowed = ALLOWED[command] ?? [];
  for (const name of Object.keys(values)) {
    if (!allowed.includes(name as keyof typeof OPTIONS)) {
      err(`--${name} is not an option of "audit ${command}"\n\n${USAGE}`);
      return EXIT.usage;
    }
  }
  let store: AuditDatabase | undefined;
  try {
    if (values.repo !== undefined && !REPO.test(values.repo)) {
      throw new UsageError(`--repo: expected owner/name, got ${JSON.stringify(values.repo)}`);
    }
    const request = command === 'export' ? exportRequest(values) : undefined;
    try {
      store = await openAuditStore({
        ...(values['database-url'] !== undefined ? { databaseUrl: values['database-url'] } : {}),
        ...(values['data-dir'] !== undefined ? { dataDir: values['data-dir'] } : {}),
        mustExist: true,
        env,
        cwd,
      });
    } catch (error) {
      err((error as Error).message);
      return EXIT.usage;
    }
    if (command === 'verify') return await runVerify(store, values.repo, values.json === true, stdout, err);
    if (!request) throw new Error('unreachable');
    return await runExport(store, request, stdout, cwd, err);
  } catch (error) {
    if (error instanceof UsageError) {
      err(error.message);
      return EXIT.usage;
    }
    err(`audit ${command} failed: ${(error as Error).message ?? String(error)}`);
    return EXIT.failure;
  } finally {
    await store?.close().catch(() => undefined);
  }
}

interface ExportRequest {
  repository: string;
  format: ExportFormat;
  since?: string;
  until?: string;
  stage?: string;
  out?: string;
}

function exportRequest(values: { repo?: string; format?: string; since?: string; until?: string; stage?: string; out?: string }): ExportRequest {
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

async function runVerify(store: AuditDatabase, repo: string | undefined, json: boolean, stdout: Writable, err: (msg: string) => void): Promise<number> {
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

async function runExport(store: AuditDatabase, req: ExportRequest, stdout: Writable, cwd: string, err: (msg: string) => void): Promise<number> {
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

export { VERIFY_EXIT };
