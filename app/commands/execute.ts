import { addFollowUpApproval, breakGlassById, recordBreakGlass, setFollowUpIssue } from '../../src/break-glass/store.js';
import { followUpIssue } from '../../src/commands/render.js';
import type { CommandComment, CommandEffect, CommentTarget, EffectOutcome } from '../../src/commands/types.js';
import type { GateResult } from '../../src/gate/types.js';
import { statusOf, type GitHubRequester } from '../../src/github/client.js';
import { releaseLock, takeLock } from '../../src/locks/store.js';
import { dispatchInputs } from '../../src/protocol/dispatch.js';
import type { AppDeps } from '../deps.js';
import { createDeployment, dispatchDeployment } from '../deploy-dispatch.js';
import { lockReleasedRecord, lockTakenRecord } from './records.js';

/** Where a command runs, and what the app around it offers: gate re-evaluations and wake-ups. */
export interface EffectEnv {
  deps: AppDeps;
  client: GitHubRequester;
  owner: string;
  repo: string;
  comment: CommandComment;
  requester: string;
  target: CommentTarget;
  /** Re-evaluates one pull request's gate now (publishing its check); its result, or null when it is no open promotion. */
  reevaluate(pullNumber: number): Promise<GateResult | null>;
  /** Re-evaluates every open promotion of a stage; the numbers re-evaluated. */
  reevaluateStage(stage: string): Promise<number[]>;
  /** Asks to be woken at `at` (a lock's end, a follow-up's deadline) to settle what has run out. */
  wakeAt(at: string): void;
}

/** The one place the effects of commands are carried out. Every step is recorded before or as it acts; errors become a `failed` outcome naming what did happen. */
export async function executeEffect(env: EffectEnv, effect: CommandEffect): Promise<EffectOutcome> {
  try {
    return await run(env, effect);
  } catch (err) {
    return { kind: 'failed', error: (err as Error).message };
  }
}

async function run(env: EffectEnv, effect: CommandEffect): Promise<EffectOutcome> {
  const { deps, client, owner, repo } = env;
  const repository = `${owner}/${repo}`;
  const now = deps.now();
  switch (effect.kind) {
    case 'recheck':
      return { kind: 'recheck', gate: await env.reevaluate(effect.pullNumber) };

    case 'merge': {
      try {
        const res = await client.request('PUT /repos/{owner}/{repo}/pulls/{pull_number}/merge', { owner, repo, pull_number: effect.pullNumber, sha: effect.headSha, merge_method: effect.method });
        return { kind: 'merge', mergeSha: res.data.sha };
      } catch (err) {
        const status = statusOf(err);
        const why = status === 409 ? 'the head moved since the gate was evaluated' : status === 405 ? 'GitHub refused to merge it (branch protection or a merge conflict)' : 'GitHub refused the merge';
        return { kind: 'failed', error: `${why}: ${(err as Error).message}` };
      }
    }

    case 'redeploy': {
      const p = effect.payload;
      const common = { repository, pullRequest: effect.pullRequest, baseSha: p.base, headSha: p.head, at: now.toISOString() };
      const command = { command: effect.reason === 'rollback' ? 'rollback' : 'deploy', by: env.requester, commentUrl: env.comment.url, replaces: effect.replaces, target: effect.target };
      if (effect.mode === 'protection_rule') {
        // GitHub creates the job's deployment; the app's protection rule approves it against the merge's approval.
        const inputs = dispatchInputs({ environment: effect.stage, sha: effect.sha, deploymentId: null, pullRequest: effect.pullRequest });
        await client.request('POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches', { owner, repo, workflow_id: effect.workflow.file, ref: effect.workflow.ref, inputs });
        await deps.store.append({
          ...common,
          key: `command:${repository}:${env.comment.id}:dispatched`,
          stage: effect.stage,
          actor: env.requester,
          kind: 'deployment.dispatched',
          details: { mode: 'protection_rule', workflow: effect.workflow.file, ref: effect.workflow.ref, inputs, ...command },
        });
        return { kind: 'redeploy', deploymentId: null, workflow: effect.workflow.file };
      }
      const request = {
        client,
        owner,
        repo,
        stage: effect.stage,
        sha: effect.sha,
        pullRequest: effect.pullRequest,
        payload: p,
        production: effect.production,
        workflow: effect.workflow.file,
        ref: effect.workflow.ref,
        description: `${effect.reason === 'rollback' ? 'Rollback' : 'Redeploy'} of #${effect.pullRequest} to ${effect.stage} by ${env.requester}`,
        common,
        actor: env.requester,
        createdDetails: { mergedBy: null, approvers: p.approvers.map((a) => ({ login: a.login, commitId: a.commit, submittedAt: a.at })), gateState: 'passed', command },
      };
      const id = await createDeployment(deps, request);
      if (effect.reason === 'rollback' && effect.replaces !== null) {
        await deps.store.append({
          ...common,
          key: `rollback:${repository}:${effect.replaces}:command:${env.comment.id}`,
          stage: effect.stage,
          actor: env.requester,
          kind: 'rollback',
          details: { deploymentId: effect.replaces, rollbackDeploymentId: id, sha: effect.sha, state: 'dispatched', by: env.requester, commentUrl: env.comment.url, targetDeploymentId: effect.target },
        });
      }
      const dispatched = await dispatchDeployment(deps, request, id);
      if (dispatched.kind === 'failed') return { kind: 'failed', error: dispatched.error, done: `deployment ${id} was created but not started` };
      return { kind: 'redeploy', deploymentId: id, workflow: effect.workflow.file };
    }

    case 'lock': {
      const taken = await deps.chatops.transaction((tx) => takeLock(tx, effect.lock, now));
      if (taken.expired) await deps.store.append(lockReleasedRecord(taken.expired));
      if (taken.kind === 'held') return { kind: 'failed', error: `@${taken.lock.holder} locked \`${effect.lock.stage}\` a moment earlier` };
      if (taken.kind !== 'replayed') await deps.store.append(lockTakenRecord(taken.lock, taken.kind, env.comment));
      if (taken.lock.expiresAt) env.wakeAt(taken.lock.expiresAt);
      const reevaluated = await env.reevaluateStage(effect.lock.stage);
      return { kind: 'lock', result: taken.kind, lock: taken.lock, reevaluated };
    }

    case 'unlock': {
      const released = await deps.chatops.transaction((tx) => releaseLock(tx, repository, effect.stage, { login: env.requester, at: now.toISOString(), commentUrl: env.comment.url }, now));
      if (released.kind === 'none') {
        if (released.expired) await deps.store.append(lockReleasedRecord(released.expired));
        return { kind: 'failed', error: `\`${effect.stage}\` is not locked${released.expired ? ' (its lock had just expired)' : ''}` };
      }
      await deps.store.append(lockReleasedRecord(released.lock));
      const reevaluated = await env.reevaluateStage(effect.stage);
      return { kind: 'unlock', lock: released.lock, reevaluated };
    }

    case 'break-glass': {
      const recorded = await deps.chatops.transaction((tx) => recordBreakGlass(tx, effect.breakGlass));
      const bg = recorded.breakGlass;
      if (recorded.kind === 'exists' && bg.id !== effect.breakGlass.id) return { kind: 'failed', error: `@${bg.by} broke the glass for this head a moment earlier` };
      const prUrl = env.target.kind === 'promotion' ? env.target.pr.htmlUrl : '';
      let issue: { number: number; url: string } | null = bg.followUp.issueNumber !== null && bg.followUp.issueUrl ? { number: bg.followUp.issueNumber, url: bg.followUp.issueUrl } : null;
      let issueError: string | null = null;
      if (!issue) {
        try {
          issue = await openFollowUp(client, owner, repo, followUpIssue(bg, { prUrl, reviewers: bg.followUp.reviewers }), effect.assignees);
          await deps.chatops.transaction((tx) => setFollowUpIssue(tx, bg.id, issue!));
        } catch (err) {
          issueError = (err as Error).message;
        }
      }
      await deps.store.append({
        repository,
        stage: bg.stage,
        pullRequest: bg.pullRequest,
        baseSha: env.target.kind === 'promotion' ? env.target.pr.baseSha : null,
        headSha: bg.headSha,
        at: bg.at,
        key: `break-glass:${bg.id}:recorded`,
        actor: bg.by,
        kind: 'break_glass.recorded',
        details: {
          breakGlassId: bg.id,
          by: bg.by,
          reason: bg.reason,
          waive: bg.waive,
          commentUrl: bg.commentUrl,
          approvalsRequired: bg.followUp.approvalsRequired,
          deadline: bg.followUp.deadline,
          reviewers: bg.followUp.reviewers,
          issueNumber: issue?.number ?? null,
          issueUrl: issue?.url ?? null,
          ...(issueError ? { issueError } : {}),
        },
      });
      env.wakeAt(bg.followUp.deadline);
      const gate = await env.reevaluate(bg.pullRequest);
      return { kind: 'break-glass', breakGlass: bg, issue, issueError, gate };
    }

    case 'approve': {
      const id = effect.breakGlass.id;
      await deps.chatops.transaction((tx) => addFollowUpApproval(tx, id, effect.approval));
      const bg = (await deps.chatops.read((db) => breakGlassById(db, id))) ?? effect.breakGlass;
      const approvals = bg.followUp.approvals.length;
      const required = bg.followUp.approvalsRequired;
      await deps.store.append({
        repository,
        stage: bg.stage,
        pullRequest: bg.pullRequest,
        baseSha: null,
        headSha: bg.headSha,
        at: effect.approval.at,
        key: `break-glass:${id}:approval:${effect.approval.login.toLowerCase()}`,
        actor: effect.approval.login,
        kind: 'break_glass.approved',
        details: { breakGlassId: id, login: effect.approval.login, commentUrl: effect.approval.commentUrl, approvals, required },
      });
      let closed = false;
      if (approvals >= required && bg.followUp.issueNumber !== null) {
        await client.request('PATCH /repos/{owner}/{repo}/issues/{issue_number}', { owner, repo, issue_number: bg.followUp.issueNumber, state: 'closed', state_reason: 'completed' });
        closed = true;
      }
      return { kind: 'approve', breakGlass: bg, approvals, required, closed };
    }
  }
}

/**
 * Opens the follow-up issue assigned to the stage's reviewers. GitHub answers 422 when an assignee
 * cannot be assigned (no access): the issue is then opened without assignees, the reviewers named
 * in its body.
 */
async function openFollowUp(client: GitHubRequester, owner: string, repo: string, issue: { title: string; body: string }, assignees: string[]): Promise<{ number: number; url: string }> {
  const create = (with_: string[]) => client.request('POST /repos/{owner}/{repo}/issues', { owner, repo, title: issue.title, body: issue.body, ...(with_.length ? { assignees: with_ } : {}) });
  try {
    const res = await create(assignees);
    return { number: res.data.number, url: res.data.html_url };
  } catch (err) {
    if (statusOf(err) !== 422 || assignees.length === 0) throw err;
    const res = await create([]);
    return { number: res.data.number, url: res.data.html_url };
  }
}
