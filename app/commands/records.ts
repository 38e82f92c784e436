import type { AuditEventInput, CommandDetails } from '../../src/audit/types.js';
import type { CommandComment } from '../../src/commands/types.js';
import type { LockRecord, StageLock } from '../../src/locks/types.js';

/** The `lock.taken` record of a lock (taken or renewed by the command of `comment`). */
export function lockTakenRecord(lock: StageLock, result: 'taken' | 'renewed', comment: CommandComment): AuditEventInput {
  return {
    repository: lock.repository,
    stage: lock.stage,
    pullRequest: lock.pullRequest,
    baseSha: null,
    headSha: null,
    at: result === 'taken' ? lock.lockedAt : new Date().toISOString(),
    key: result === 'taken' ? `lock:${lock.id}:taken` : `lock:${lock.id}:renewed:${comment.id}`,
    actor: lock.holder,
    kind: 'lock.taken',
    details: { lockId: lock.id, holder: lock.holder, reason: lock.reason, expiresAt: lock.expiresAt, commentUrl: comment.url, result },
  };
}

/** The `lock.released` record of a lock that ended (unlocked, or expired at its end). */
export function lockReleasedRecord(lock: LockRecord): AuditEventInput {
  const r = lock.release!;
  return {
    repository: lock.repository,
    stage: lock.stage,
    pullRequest: lock.pullRequest,
    baseSha: null,
    headSha: null,
    at: r.at,
    key: `lock:${lock.id}:released`,
    actor: r.how === 'unlocked' ? r.by : null,
    kind: 'lock.released',
    details: {
      lockId: lock.id,
      holder: lock.holder,
      how: r.how,
      by: r.how === 'unlocked' ? r.by : null,
      commentUrl: r.how === 'unlocked' ? r.commentUrl : lock.commentUrl,
      lockedAt: lock.lockedAt,
      reason: lock.reason,
    },
  };
}

/** The `command` record of one comment command: what was asked, by whom (role as GitHub said), and what became of it. */
export function commandRecord(p: {
  repository: string;
  stage: string;
  comment: CommandComment;
  command: string;
  text: string;
  role: string | null;
  outcome: CommandDetails['outcome'];
  result: string;
  at: string;
  extra?: Partial<Pick<CommandDetails, 'effect' | 'deploymentId' | 'lockId' | 'breakGlassId' | 'replyCommentId'>>;
  headSha?: string | null;
}): AuditEventInput {
  const details: CommandDetails = {
    command: p.command,
    text: p.text.slice(0, 500),
    commentId: p.comment.id,
    commentUrl: p.comment.url,
    issueNumber: p.comment.issueNumber,
    role: p.role,
    outcome: p.outcome,
    result: p.result.slice(0, 2000),
    ...p.extra,
  };
  return {
    repository: p.repository,
    stage: p.stage,
    pullRequest: p.comment.issueNumber,
    baseSha: null,
    headSha: p.headSha ?? null,
    at: p.at,
    key: `command:${p.repository}:${p.comment.id}`,
    actor: p.comment.author.login,
    kind: 'command',
    details,
  };
}
