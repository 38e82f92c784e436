import type { AuditEventInput } from '../../src/audit/types.js';

/** A commit of a hand-built promotion. */
export interface HistoryCommit {
  sha: string;
  authoredAt: string;
  /** Parent count (2 = a merge commit). Default 1. */
  parents?: number;
}

/** Hand-built audit histories, recorded as the app records them (same kinds, keys and details). */
export class History {
  readonly events: AuditEventInput[] = [];
  constructor(readonly repository = 'acme/shop') {}

  private push(e: Omit<AuditEventInput, 'repository'>): void {
    this.events.push({ repository: this.repository, ...e });
  }

  /** A promotion's commits (recorded at gate evaluation) and its deployment, in dispatch or protection-rule mode. */
  deploy(o: { id: number; stage: string; at: string; pr: number; commits: HistoryCommit[]; mode?: 'dispatch' | 'protection_rule'; mergedBy?: string; approvers?: string[]; sha?: string }): this {
    const head = `h${o.id}`.padEnd(40, '0');
    const base = `b${o.id}`.padEnd(40, '0');
    const sha = o.sha ?? `m${o.id}`.padEnd(40, '0');
    const common = { stage: o.stage, pullRequest: o.pr, baseSha: base, headSha: head };
    this.push({
      ...common,
      key: `promotion:${this.repository}#${o.pr}@${head}:commits`,
      actor: null,
      kind: 'promotion.commits',
      at: o.at,
      details: {
        commits: o.commits.map((c) => ({
          sha: c.sha,
          author: { login: 'alice', name: 'Alice', email: 'alice@acme.test' },
          committer: { login: 'alice', name: 'Alice', email: 'alice@acme.test' },
          coAuthors: [],
          authoredAt: c.authoredAt,
          parents: c.parents ?? 1,
        })),
      },
    });
    const approvers = o.approvers ?? ['carol'];
    if (o.mode === 'protection_rule') {
      this.push({
        ...common,
        key: `merge:${this.repository}:${o.stage}@${sha}:approved`,
        actor: o.mergedBy ?? 'bob',
        kind: 'merge.approved',
        at: o.at,
        details: { mergeCommitSha: sha, mode: 'protection_rule', policy: {}, stage: { name: o.stage }, approvers: approvers.map((login) => ({ login, commit: head, at: o.at })) },
      });
      this.push({
        ...common,
        key: `protection:${this.repository}:${o.id}:approved`,
        actor: 'stagegate[bot]',
        kind: 'protection_rule.reviewed',
        at: o.at,
        details: { deploymentId: o.id, runId: o.id + 1000, environment: o.stage, sha, state: 'approved', reason: 'ok' },
      });
    } else {
      this.push({
        ...common,
        key: `deployment:${this.repository}:${o.id}:created`,
        actor: o.mergedBy ?? 'bob',
        kind: 'deployment.created',
        at: o.at,
        details: {
          deploymentId: o.id,
          environment: o.stage,
          sha,
          mergedBy: o.mergedBy ?? 'bob',
          approvers: approvers.map((login) => ({ login, submittedAt: o.at, commitId: head })),
          refused: [],
          gateState: 'passed',
          commitCount: o.commits.length,
          authors: ['alice'],
        },
      });
    }
    return this;
  }

  status(id: number, stage: string, state: string, at: string, statusId = id * 10 + this.events.length): this {
    this.push({
      stage,
      pullRequest: null,
      baseSha: null,
      headSha: null,
      key: `deployment:${this.repository}:${id}:status:${statusId}`,
      actor: 'github-actions[bot]',
      kind: 'deployment.status',
      at,
      details: { deploymentId: id, statusId, state, description: state, logUrl: null, environmentUrl: null },
    });
    return this;
  }

  /** The verification record as app/deployment-status.ts writes it: `success` trusted or `untrusted`, `failure`, `rolled_back`. */
  verify(id: number, stage: string, result: 'success' | 'untrusted' | 'failure' | 'rolled_back', at: string): this {
    this.status(id, stage, result === 'failure' || result === 'rolled_back' ? 'failure' : 'success', at);
    const trusted = result !== 'untrusted';
    this.push({
      stage,
      pullRequest: null,
      baseSha: null,
      headSha: null,
      key: `deployment:${this.repository}:${id}:verification:${this.events.length}`,
      actor: 'github-actions[bot]',
      kind: 'verification.result',
      at,
      details: {
        deploymentId: id,
        result,
        reasonCode: result === 'success' ? 'ok' : result === 'untrusted' ? null : 'metrics-failed',
        description: result,
        trusted,
        why: trusted ? 'verified by run 1' : 'no run',
      },
    });
    return this;
  }

  rollback(id: number, stage: string, at: string, sha: string, state = 'success'): this {
    this.push({
      stage,
      pullRequest: null,
      baseSha: null,
      headSha: null,
      key: `deployment:${this.repository}:${id}:rollback:${id + 500}`,
      actor: 'github-actions[bot]',
      kind: 'rollback',
      at,
      details: { deploymentId: id, rollbackDeploymentId: id + 500, sha, state },
    });
    return this;
  }

  refused(id: number, stage: string, at: string): this {
    this.push({
      stage,
      pullRequest: null,
      baseSha: null,
      headSha: null,
      key: `deployment:${this.repository}:${id}:refused:1`,
      actor: 'github-actions[bot]',
      kind: 'deploy.refused',
      at,
      details: { deploymentId: id, reasonCode: 'not-approved', description: 'refused', creator: 'mallory' },
    });
    return this;
  }

  bypass(pr: number, stage: string, at: string): this {
    this.push({
      stage,
      pullRequest: pr,
      baseSha: null,
      headSha: null,
      key: `merge:${this.repository}#${pr}@x:bypassed`,
      actor: 'admin',
      kind: 'merge.bypassed',
      at,
      details: { mergeCommitSha: `x${pr}`.padEnd(40, '0'), mergedBy: 'admin', gateState: 'blocked', reasons: ['no approval'] },
    });
    return this;
  }
}

export const HOUR = 3_600_000;
