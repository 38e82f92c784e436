import type { GateEvent, GateResult } from '../src/gate/types.js';
import type { GitHubRequester } from '../src/github/client.js';
import { stateHolds } from '../src/locks/holds.js';
import { evaluatePullRequest } from '../src/promotion/evaluate.js';
import { GATE_MARKER } from '../src/protocol/markers.js';
import { renderConfigErrorCheck, renderGateCheck, renderGateComment, renderNotPromotionCheck } from '../src/render/gate.js';
import { appendAll, gateRecords, gateResultRecord, protectionApprovalKey } from './audit-records.js';
import type { AppDeps } from './deps.js';
import { dutyFor } from './duty.js';
import type { ConfigOrigin } from '../src/config/load.js';
import type { Config, StageConfig } from '../src/config/schema.js';
import type { PullRequestFact } from '../src/facts/types.js';
import { latestOwnCheck, publishOnce } from './check-writes.js';
import { upsertComment } from './comment-writes.js';

/** One request to (re)evaluate a pull request's gate. */
export interface GateRunInput {
  client: GitHubRequester;
  owner: string;
  repo: string;
  pullNumber: number;
  defaultBranch: string;
  event: GateEvent;
  /** Set when the PR's base was just retargeted: a former promotion's green check must be revoked. */
  retargeted?: boolean;
  actor: string | null;
}

/** What an evaluation did. */
export type GateRunOutcome =
  | { kind: 'skipped'; why: string }
  | { kind: 'invalid-config'; checkId: number | null }
  | { kind: 'revoked'; checkId: number | null }
  /** `checkId` is null when the same output was already published on this head. */
  | {
      kind: 'evaluated';
      result: GateResult;
      checkId: number | null;
      audited: boolean;
      /** The policy and stage it was judged under, and the PR (for the steps after an evaluation: duty, auto-merge). */
      match: { config: Config; stage: StageConfig; origin: ConfigOrigin };
      pr: PullRequestFact;
    };

/** The app's own record of the job deployments it approved as a protection rule (run id per deployment). */
export function approvedRunLookup(deps: AppDeps, repository: string): (deploymentId: number) => Promise<number | null> {
  return async (deploymentId) => {
    const r = await deps.store.findByKey(protectionApprovalKey(repository, deploymentId));
    const run = r?.details.runId;
    return typeof run === 'number' ? run : null;
  };
}

/**
 * Evaluates a PR's gate from GitHub's current state (never from the webhook payload), records the
 * audit trail, and publishes the `stagegate` check run and the gate comment.
 */
export async function runGate(deps: AppDeps, input: GateRunInput): Promise<GateRunOutcome> {
  const { client, owner, repo, pullNumber } = input;
  const cache = deps.cache;
  const now = deps.now();
  const self = await deps.self();
  const evaluation = await evaluatePullRequest({
    client,
    owner,
    repo,
    pullNumber,
    defaultBranch: input.defaultBranch,
    now,
    events: [input.event],
    app: { id: self.id, slug: self.slug },
    approvedRunOf: approvedRunLookup(deps, `${owner}/${repo}`),
    holds: stateHolds(deps.chatops, `${owner}/${repo}`, deps.now),
    ...(cache ? { cache } : {}),
  });
  const { pr } = evaluation;
  if (evaluation.kind === 'closed') return { kind: 'skipped', why: 'the pull request is closed' };

  if (evaluation.kind === 'not-promotion') {
    const { match } = evaluation;
    if (!input.retargeted) return { kind: 'skipped', why: match.why };
    const previous = await latestOwnCheck(client, { owner, repo, sha: pr.headSha });
    if (!previous) return { kind: 'skipped', why: match.why };
    const checkId = await publishOnce(deps, client, { owner, repo, headSha: pr.headSha, output: renderNotPromotionCheck(pr) });
    return { kind: 'revoked', checkId };
  }

  if (evaluation.kind === 'invalid-config') {
    const { match } = evaluation;
    const output = renderConfigErrorCheck(match.errors, match.origin);
    const checkId = await publishOnce(deps, client, { owner, repo, headSha: pr.headSha, output });
    await upsertComment(client, { author: self.login, owner, repo, issueNumber: pr.number, marker: GATE_MARKER, body: `${GATE_MARKER}\n## ⛔ Stagegate: ${output.title}\n\n${output.summary}` }, cache);
    return { kind: 'invalid-config', checkId };
  }

  const { match, result } = evaluation;
  const duty = dutyFor(match.config, match.stage, now);
  const view = { ...evaluation.view, ...(duty ? { duty: { team: duty.team, until: duty.label } } : {}) };
  deps.onPolicy?.(`${owner}/${repo}`, match.config);
  let output = renderGateCheck(view);
  let audited = true;
  try {
    const ref = { repository: `${owner}/${repo}`, stage: match.stage.name, pullRequest: pr.number, baseSha: pr.baseSha, headSha: pr.headSha };
    const pushes = await evaluation.facts.pushes().catch(() => null);
    await appendAll(deps.store, gateRecords(ref, result, view.commits?.complete ? view.commits.items : null, now.toISOString(), pushes?.complete ? pushes.items : null));
    const gateRecord = await gateResultRecord(deps.store, ref, result, now.toISOString(), input.actor);
    if (gateRecord) await deps.store.append(gateRecord);
  } catch (err) {
    audited = false;
    output = {
      status: 'completed',
      conclusion: 'failure',
      title: 'Audit trail unavailable',
      summary: `Stagegate could not record this evaluation in its audit trail (${(err as Error).message}), so the gate cannot pass. It will be evaluated again on the next event.`,
    };
  }
  const checkId = await publishOnce(deps, client, { owner, repo, headSha: pr.headSha, output });
  await upsertComment(client, { author: self.login, owner, repo, issueNumber: pr.number, marker: GATE_MARKER, body: renderGateComment(view) }, cache);
  return { kind: 'evaluated', result, checkId, audited, match: { config: match.config, stage: match.stage, origin: match.origin }, pr };
}
