import { createHash } from 'node:crypto';
import type { AuditEventInput, AuditRecord, AuditStore } from '../src/audit/types.js';
import type { CommitFact, PushFact } from '../src/facts/types.js';
import type { GateResult } from '../src/gate/types.js';

/** Record keys shared with src/ (the export joins on them). */
export { mergeApprovalKey, protectionApprovalKey } from '../src/audit/types.js';

/** Fields every record of one promotion shares. */
export interface PromotionRef {
  repository: string;
  stage: string;
  pullRequest: number;
  baseSha: string;
  headSha: string;
}

function digest(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 16);
}

/**
 * The audit records of one gate evaluation: the promotion's commits (once per head) and every review
 * verdict (once per review and head). Keys are natural keys, so a replayed webhook appends nothing.
 */
export function gateRecords(ref: PromotionRef, result: GateResult, commits: CommitFact[] | null, at: string, pushes: PushFact[] | null = null): AuditEventInput[] {
  const base = { repository: ref.repository, stage: ref.stage, pullRequest: ref.pullRequest, baseSha: ref.baseSha, headSha: ref.headSha, at };
  const prKey = `${ref.repository}#${ref.pullRequest}@${ref.headSha}`;
  const out: AuditEventInput[] = [];
  if (commits) {
    out.push({
      ...base,
      key: `promotion:${prKey}:commits`,
      actor: null,
      kind: 'promotion.commits',
      details: {
        commits: commits.map((c) => ({
          sha: c.sha,
          author: { login: c.author.login, name: c.author.name, email: c.author.email },
          committer: c.committer,
          coAuthors: c.coAuthors,
          // Where lead time for changes starts, and whether it is a change of its own (src/audit/delivery-rollup.ts).
          ...(c.author.date ? { authoredAt: c.author.date } : {}),
          parents: c.parents.length,
          ...(pushes ? { pushers: pushes.find((p) => p.sha === c.sha)?.pushers ?? [] } : {}),
          ...(c.verification ? { verification: c.verification } : {}),
        })),
      },
    });
  }
  for (const v of result.approvals) {
    out.push({
      ...base,
      key: `approval:${prKey}:review:${v.reviewId}:${v.counted ? 'counted' : (v.refusal ?? 'refused')}`,
      actor: v.login,
      kind: v.counted ? 'approval.counted' : 'approval.refused',
      details: {
        login: v.login,
        reviewId: v.reviewId,
        commitId: v.commitId,
        submittedAt: v.submittedAt,
        ...(v.refusal ? { refusal: v.refusal } : {}),
        ...(v.detail ? { detail: v.detail } : {}),
      },
    });
  }
  return out;
}

/**
 * The gate result record of an evaluation, or null when it equals the last one recorded for the
 * same PR head. Results of a head are numbered (`gate:<pr>@<head>:#1`, `#2`, ...), so a return to an
 * earlier state (passed → blocked → passed) is recorded too, and a replay (same result) is not.
 */
export async function gateResultRecord(store: AuditStore, ref: PromotionRef, result: GateResult, at: string, actor: string | null): Promise<AuditEventInput | null> {
  const prKey = `${ref.repository}#${ref.pullRequest}@${ref.headSha}`;
  const rules = result.rules.map((r) => ({ id: r.id, state: r.state, reason: r.reason }));
  const fingerprint = digest({ state: result.state, rules });
  let n = 1;
  let last: AuditRecord | null = null;
  for (let r = await store.findByKey(`gate:${prKey}:#${n}`); r; r = await store.findByKey(`gate:${prKey}:#${n}`)) {
    last = r;
    n++;
  }
  if (last?.details.fingerprint === fingerprint) return null;
  return {
    repository: ref.repository,
    stage: ref.stage,
    pullRequest: ref.pullRequest,
    baseSha: ref.baseSha,
    headSha: ref.headSha,
    at,
    key: `gate:${prKey}:#${n}`,
    actor,
    kind: 'gate.result',
    details: { state: result.state, conclusion: result.state === 'passed' ? 'success' : result.state === 'pending' ? 'pending' : 'failure', rules, fingerprint },
  };
}

/** Appends records in order; throws on the first failure (callers fail closed). */
export async function appendAll(store: AuditStore, records: AuditEventInput[]): Promise<number> {
  let appended = 0;
  for (const r of records) if ((await store.append(r)).appended) appended++;
  return appended;
}
