import { exportRows, type ExportOptions } from './export-rows.js';
import { csvHeader, csvLine } from './export-csv.js';
import type { AuditDatabase, ChainReport } from './types.js';
import { verifyChain } from './verify.js';

export { CSV_COLUMNS, csvField, csvHeader, csvLine } from './export-csv.js';
export { exportRows, type ExportApproval, type ExportOptions, type ExportRefusal, type ExportRollback, type ExportRow, type ExportStatus, type ExportVerification } from './export-rows.js';

/** Export formats: CSV, one JSON array, or NDJSON (one JSON object per line, for streaming). */
export type ExportFormat = 'csv' | 'json' | 'ndjson';

/** What to export: one or many repositories (or every one in the store), filtered. */
export interface ExportRequestOptions extends Omit<ExportOptions, 'repository' | 'brokenFromSeq'> {
  repositories: readonly string[] | 'all';
  /** Export chains that fail verification too, flagging every row from the first broken record on. */
  allowBroken?: boolean;
}

/** A chain failed verification and the export was not allowed to go on. */
export class BrokenChainError extends Error {
  constructor(readonly reports: ChainReport[]) {
    const broken = reports.filter((r) => r.problem);
    super(
      `${broken.map((r) => `${r.repository}: ${r.problem!.message}`).join('; ')}. Nothing was exported: an auditor must not receive rows of an altered chain unmarked. ` +
        `Run \`stagegate audit verify\`; --allow-broken exports anyway, with every row from the first broken record on marked integrity=after-break`,
    );
    this.name = 'BrokenChainError';
  }
}

/** What an export did: rows written, and each chain's verification. */
export interface ExportSummary {
  rows: number;
  chains: ChainReport[];
}

/**
 * Verifies every chain to export first (nothing is written when one is broken, unless
 * `allowBroken`), then streams the rows as text chunks: CSV (header + one line per row), a JSON
 * array written element by element, or NDJSON. Memory stays flat: rows are read page by page.
 */
export async function* exportChunks(store: AuditDatabase, opts: ExportRequestOptions, format: ExportFormat, onDone?: (summary: ExportSummary) => void): AsyncGenerator<string> {
  const repositories = opts.repositories === 'all' ? await store.repositories() : [...new Set(opts.repositories)].sort();
  const chains: ChainReport[] = [];
  for (const repository of repositories) chains.push(await verifyChain(store, repository));
  if (!opts.allowBroken && chains.some((c) => c.problem)) throw new BrokenChainError(chains);
  const { allowBroken: _allowBroken, repositories: _repositories, ...filters } = opts;
  let rows = 0;
  if (format === 'csv') yield csvHeader();
  if (format === 'json') yield '[';
  for (const chain of chains) {
    for await (const row of exportRows(store, { ...filters, repository: chain.repository, brokenFromSeq: chain.problem?.seq ?? null })) {
      if (format === 'csv') yield csvLine(row);
      else if (format === 'ndjson') yield `${JSON.stringify(row)}\n`;
      else yield `${rows === 0 ? '\n' : ',\n'}${JSON.stringify(row)}`;
      rows++;
    }
  }
  if (format === 'json') yield rows === 0 ? ']\n' : '\n]\n';
  onDone?.({ rows, chains });
}
