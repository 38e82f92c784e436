import type { ExportOptions } from './export-types.js';
import { promotionCommitsKey, type AuditRecord, type CommitPerson, type PolicyEvidence, type PromotionCommit, type RequiredCheckEvidence } from './types.js';

// Reading the loosely typed `details` of stored records (older records may lack fields: they read as null/empty).

export const str = (v: unknown): string | null => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null);
export const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
export const obj = (v: unknown): Record<string, unknown> => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
export const objOrNull = (v: unknown): Record<string, unknown> | null => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null);

function person(p: unknown): CommitPerson {
  const o = obj(p);
  return { login: str(o['login']), name: str(o['name']) ?? '', email: str(o['email']) ?? '' };
}

function personName(p: CommitPerson): string | null {
  return p.login ?? (p.name || null) ?? (p.email || null);
}

export function uniq(values: Iterable<string | null>): string[] {
  return [...new Set([...values].filter((v): v is string => v !== null && v !== ''))];
}

export type PromotionSummary = { commits: PromotionCommit[]; authors: string[]; committers: string[] };

export function promotionKeyOf(r: AuditRecord): string | null {
  return r.pullRequest === null || r.headSha === null ? null : promotionCommitsKey(r.repository, r.pullRequest, r.headSha);
}

export function summarisePromotion(rec: AuditRecord): PromotionSummary {
  const commits = arr(rec.details['commits']).map((c): PromotionCommit => {
    const o = obj(c);
    const v = objOrNull(o['verification']);
    return {
      sha: str(o['sha']) ?? '',
      author: person(o['author']),
      committer: person(o['committer']),
      coAuthors: arr(o['coAuthors']).map(person),
      ...(Array.isArray(o['pushers']) ? { pushers: uniq(arr(o['pushers']).map(str)) } : {}),
      ...(v ? { verification: { verified: v['verified'] === true, reason: str(v['reason']) ?? '' } } : {}),
    };
  });
  return {
    commits,
    authors: uniq(commits.flatMap((c) => [personName(c.author), ...c.coAuthors.map(personName)])),
    committers: uniq(commits.map((c) => personName(c.committer))),
  };
}

export function policyOf(v: unknown): PolicyEvidence | null {
  const o = objOrNull(v);
  if (!o) return null;
  return {
    path: str(o['path']) ?? '',
    ref: str(o['ref']) ?? '',
    blobSha: str(o['blobSha']),
    fellBack: o['fellBack'] === true,
    extendsFrom: str(o['extendsFrom']),
    extendsBlobSha: str(o['extendsBlobSha']),
  };
}

export function checksOf(v: unknown): RequiredCheckEvidence[] | null {
  if (!Array.isArray(v)) return null;
  return v.map((c) => {
    const o = obj(c);
    const source = str(o['source']);
    return {
      name: str(o['name']) ?? '',
      source: source === 'check_run' || source === 'status' ? source : null,
      app: str(o['app']),
      status: str(o['status']),
      conclusion: str(o['conclusion']),
      url: str(o['url']),
      at: str(o['at']),
    };
  });
}

/** The fields every row takes from the record it is built from. */
export function rowIdentity(r: AuditRecord, opts: ExportOptions, details: Record<string, unknown> = r.details) {
  return {
    repository: r.repository,
    stage: r.stage,
    pullRequest: r.pullRequest,
    pullRequestTitle: str(details['pullRequestTitle']),
    pullRequestUrl: str(details['pullRequestUrl']),
    baseSha: r.baseSha,
    headSha: r.headSha,
    range: `${r.baseSha ?? ''}..${r.headSha ?? ''}`,
    at: r.at,
    integrity: opts.brokenFromSeq === undefined ? ('unverified' as const) : opts.brokenFromSeq !== null && r.seq >= opts.brokenFromSeq ? ('after-break' as const) : ('verified' as const),
  };
}
