import { canonicalJson, deploymentIdOf, GENESIS_HASH, recordHash } from './hash.js';
import type { AuditDatabase, ChainProblem, ChainProblemKind, ChainReport, StoredAuditRow } from './types.js';

const PAGE = 1000;

/** Exit codes of `stagegate audit verify`. */
export const VERIFY_EXIT = {
  intact: 0,
  unexpected: 1,
  usage: 2,
  edited: 3,
  deleted: 4,
  reordered: 5,
} as const;

/** The exit code for a set of reports: that of the first problem (repositories in name order), else 0. */
export function verifyExitCode(reports: readonly ChainReport[]): number {
  const first = reports.find((r) => r.problem)?.problem;
  return first ? VERIFY_EXIT[first.kind] : VERIFY_EXIT.intact;
}

/** Why a stored row's content no longer matches its hash, or null when it matches. */
export function contentProblem(row: StoredAuditRow): string | null {
  let detailsText: string;
  let details: unknown;
  try {
    details = JSON.parse(row.details);
    detailsText = canonicalJson(details);
  } catch {
    return 'its details are not valid JSON';
  }
  const hash = recordHash({
    key: row.key,
    repository: row.repository,
    stage: row.stage,
    pullRequest: row.pullRequest,
    baseSha: row.baseSha,
    headSha: row.headSha,
    actor: row.actor,
    kind: row.kind,
    at: row.at,
    recordedAt: row.recordedAt,
    details: detailsText,
    prevHash: row.prevHash,
  });
  if (hash !== row.hash) return 'its content does not match its hash';
  if (deploymentIdOf(details) !== row.deploymentId) return 'its deployment_id column does not match its details';
  return null;
}

/**
 * Walks one repository's chain in seq order, page by page (memory stays flat), and reports the
 * first record that was edited (content ≠ hash), follows deleted records (no record links to the
 * last good one), or is out of order (the record linking to the last good one sits later).
 */
export async function verifyChain(store: AuditDatabase, repository: string): Promise<ChainReport> {
  let expectedSeq = 1;
  let expectedPrev = GENESIS_HASH;
  let count = 0;
  let head: ChainReport['head'] = null;
  const problem = (kind: ChainProblemKind, row: StoredAuditRow, message: string): ChainReport => ({
    repository,
    records: count,
    head,
    problem: { kind, seq: row.seq, key: row.key, message } satisfies ChainProblem,
  });
  let afterSeq = 0;
  for (;;) {
    const page = await store.scanRaw(repository, afterSeq, PAGE);
    for (const row of page) {
      count++;
      const edited = contentProblem(row);
      if (edited) return problem('edited', row, `record seq ${row.seq} (key ${row.key}) was edited: ${edited}`);
      if (row.prevHash !== expectedPrev) {
        // The true next record is the one linking to the last good record (unique per chain).
        const successorSeq = await store.seqOfSuccessor(repository, expectedPrev);
        if (successorSeq !== null && successorSeq > row.seq) {
          return problem('reordered', row, `record seq ${row.seq} (key ${row.key}) is out of order: the record that follows seq ${expectedSeq - 1} is at seq ${successorSeq}`);
        }
        return problem(
          'deleted',
          row,
          `record(s) deleted before seq ${row.seq} (key ${row.key}): no record links to ` +
            (expectedSeq === 1 ? 'the start of the chain' : `seq ${expectedSeq - 1}`) +
            (row.seq !== expectedSeq ? `; seq jumps from ${expectedSeq - 1} to ${row.seq}` : ' (or the record before it was rewritten with a recomputed hash)'),
        );
      }
      if (row.seq !== expectedSeq) {
        return problem('deleted', row, `record(s) deleted before seq ${row.seq} (key ${row.key}): seq jumps from ${expectedSeq - 1} to ${row.seq}`);
      }
      expectedPrev = row.hash;
      expectedSeq = row.seq + 1;
      head = { seq: row.seq, hash: row.hash };
    }
    const last = page[page.length - 1];
    if (!last || page.length < PAGE) break;
    afterSeq = last.seq;
  }
  return { repository, records: count, head, problem: null };
}

/** Verifies the chains of `repositories`, or of every repository in the store. */
export async function verifyStore(store: AuditDatabase, repositories?: readonly string[]): Promise<ChainReport[]> {
  const repos = repositories ? [...repositories].sort() : await store.repositories();
  const reports: ChainReport[] = [];
  for (const repository of repos) reports.push(await verifyChain(store, repository));
  return reports;
}
