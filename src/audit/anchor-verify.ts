import type { AuditAnchor } from './anchor.js';
import type { AuditDatabase } from './types.js';

/** An anchor as found on GitHub, with where it was found. */
export interface FoundAnchor extends AuditAnchor {
  /** Where it was read, e.g. `deployment 42` or a check run URL. */
  source: string;
}

/** What the published anchors say about one stored chain. */
export type AnchorProblemKind = 'rewritten' | 'truncated' | 'unanchored';

/** `verify --anchors`' finding for one repository. */
export interface AnchorReport {
  repository: string;
  /** Anchors found on GitHub for this repository. */
  anchors: number;
  /** The anchor with the highest seq, when any. */
  newest: FoundAnchor | null;
  /** Stored records after the newest anchor: not covered by any anchor yet. */
  unanchoredRecords: number;
  problem: { kind: AnchorProblemKind; seq: number | null; message: string; source: string | null } | null;
}

/**
 * Checks a stored chain against its published anchors: the record at each anchor's seq must exist
 * (else the newest records were removed: `truncated`) and have the anchor's hash (else the chain
 * was rewritten from that record or earlier: `rewritten` — the hash of a record covers every record
 * before it). No anchor at all for a chain with records is `unanchored`: nothing outside the
 * database vouches for it. The chain's own links are `verify`'s job; run it first.
 */
export async function verifyAnchors(store: AuditDatabase, repository: string, found: readonly FoundAnchor[]): Promise<AnchorReport> {
  const anchors = found.filter((a) => a.repository === repository).sort((a, b) => a.seq - b.seq);
  const head = await store.head(repository);
  const newest = anchors[anchors.length - 1] ?? null;
  const report: AnchorReport = { repository, anchors: anchors.length, newest, unanchoredRecords: head ? head.seq - (newest?.seq ?? 0) : 0, problem: null };
  if (anchors.length === 0) {
    if (head)
      report.problem = { kind: 'unanchored', seq: null, source: null, message: `no published anchor found for ${repository}: nothing outside the database vouches for its ${head.seq} record(s)` };
    return report;
  }
  const stored = new Map<number, string>();
  for (const seq of new Set(anchors.map((a) => a.seq))) {
    const [row] = await store.scanRaw(repository, seq - 1, 1);
    if (row && row.seq === seq) stored.set(seq, row.hash);
  }
  for (const a of anchors) {
    const hash = stored.get(a.seq);
    if (hash === undefined) {
      if (!head || a.seq > head.seq) {
        report.problem = {
          kind: 'truncated',
          seq: a.seq,
          source: a.source,
          message: `${a.source} shows record ${a.seq} of ${repository} (hash ${a.hash.slice(0, 12)}), but the stored chain ends at ${head?.seq ?? 0}: its newest records were removed`,
        };
      } else {
        report.problem = { kind: 'rewritten', seq: a.seq, source: a.source, message: `${a.source} shows record ${a.seq} of ${repository}, which the stored chain does not have at that seq` };
      }
      return report;
    }
    if (hash !== a.hash) {
      report.problem = {
        kind: 'rewritten',
        seq: a.seq,
        source: a.source,
        message: `${a.source} shows record ${a.seq} of ${repository} with hash ${a.hash.slice(0, 12)}, the stored one has ${hash.slice(0, 12)}: the chain was rewritten at or before record ${a.seq}`,
      };
      return report;
    }
  }
  return report;
}
