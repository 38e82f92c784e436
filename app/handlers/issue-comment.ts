import { sweepChatops } from '../commands/sweep.js';
import { loadConfig } from '../../src/config/load.js';
import { githubConfigSource } from '../../src/github/config-source.js';
import { claimCommand, finishCommand } from '../../src/commands/history.js';
import { parseComment } from '../../src/commands/parse.js';
import { outcomeBody, refusalBody, renderReply, replyMarker } from '../../src/commands/render.js';
import { decideCommand, type CommandVerdict } from '../../src/commands/run.js';
import type { CommandComment, CommentTarget, EffectOutcome } from '../../src/commands/types.js';
import type { GateResult } from '../../src/gate/types.js';
import { isNotFound, type GitHubRequester } from '../../src/github/client.js';
import { commandFacts } from '../commands/facts.js';
import { executeEffect } from '../commands/execute.js';
import { commandRecord } from '../commands/records.js';
import type { AppDeps } from '../deps.js';
import { upsertComment } from '../comment-writes.js';
import type { Context } from 'probot';
import type { Job, JobContext, Route } from '../jobs.js';
import { jobOf } from './common.js';

/** An `issue_comment` delivery. */
export type IssueCommentPayload = Context<'issue_comment'>['payload'];

/** The comment a `command` job carries: ids and GitHub's attributions (the body is re-read before it runs). */
export interface CommandWork {
  kind: 'command';
  commentId: number;
  /** The body as delivered: a comment changed since runs nothing. */
  body: string;
  author: { login: string; type: string };
  issueNumber: number;
  /** GitHub's word (the issue's `pull_request` field): the comment is on a pull request. */
  isPull: boolean;
}

/**
 * Routes `issue_comment`: only a new comment holding a `/stagegate` command line is a job (edited
 * and deleted comments run nothing; a comment without a command costs no request). Pure.
 */
export function routeIssueComment(event: { id: string; name: string }, p: IssueCommentPayload): Route {
  if (p.action !== 'created') return { kind: 'ignore', why: `an ${p.action} comment runs nothing` };
  if (parseComment(p.comment.body ?? '').kind === 'none') return { kind: 'ignore', why: 'the comment holds no /stagegate command' };
  const user = p.comment.user ?? { login: 'ghost', type: 'User' };
  return jobOf(event, p, {
    kind: 'command',
    commentId: p.comment.id,
    body: p.comment.body ?? '',
    author: { login: user.login, type: user.type ?? 'User' },
    issueNumber: p.issue.number,
    isPull: Boolean(p.issue.pull_request),
  });
}

/** What the app around the handler offers it. */
export interface IssueCommentEnv {
  deps: AppDeps;
  client: GitHubRequester;
  reevaluate(pullNumber: number): Promise<GateResult | null>;
  reevaluateStage(stage: string): Promise<number[]>;
  wakeAt(at: string): void;
}

/** What the handler did with one comment (reported to tests and logs). */
export type CommentOutcome =
  | { kind: 'ignored'; why: string }
  /** Another delivery (a redelivery, another replica) claimed this comment first: nothing ran here. */
  | { kind: 'duplicate'; state: string }
  | { kind: 'refused'; command: string; reason: string }
  | { kind: 'answered'; command: string }
  | { kind: 'acted'; command: string; outcome: EffectOutcome['kind'] };

/**
 * `issue_comment.created`: a `/stagegate` command. Acknowledges at once (👀), re-reads the comment
 * (an edited or deleted one runs nothing), decides over facts read fresh from GitHub (the role is
 * GitHub's answer now, never the payload's), claims the comment in the command history (so of all
 * deliveries and replicas exactly one carries it out), carries out the effect, and ends with one
 * reply comment and the audit records (command, and what it did), all linking the comment.
 */
export async function handleIssueComment(env: IssueCommentEnv, job: Job & { work: CommandWork }): Promise<CommentOutcome> {
  const { deps, client } = env;
  const w = job.work;
  const self = await deps.self();
  const author = w.author;
  if (author.login.toLowerCase() === self.login.toLowerCase()) return { kind: 'ignored', why: 'the comment is Stagegate’s own' };
  const { owner, repo } = job.repo;
  const repository = job.repo.fullName;
  const commentId = w.commentId;

  await client.request('POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions', { owner, repo, comment_id: commentId, content: 'eyes' }).catch(() => undefined);

  let current: { body?: string; html_url: string; created_at: string; user: { login: string; type: string } | null };
  try {
    current = (await client.request('GET /repos/{owner}/{repo}/issues/comments/{comment_id}', { owner, repo, comment_id: commentId })).data;
  } catch (err) {
    if (isNotFound(err)) return { kind: 'ignored', why: 'the comment was deleted before it ran' };
    throw err;
  }
  const comment: CommandComment = {
    id: commentId,
    url: current.html_url,
    body: current.body ?? '',
    createdAt: current.created_at,
    author: { login: current.user?.login ?? author.login, type: current.user?.type ?? author.type },
    issueNumber: w.issueNumber,
  };
  const facts = commandFacts(deps, { client, owner, repo, defaultBranch: job.repo.defaultBranch, issueNumber: w.issueNumber, isPull: w.isPull });
  const edited = comment.body !== w.body;
  let verdict: CommandVerdict = await decideCommand({ repository, comment: edited ? { ...comment, body: w.body } : comment, facts, now: deps.now(), self: self.login });
  if (verdict.kind === 'ignore') return { kind: 'ignored', why: verdict.why };
  if (edited)
    verdict = {
      kind: 'refuse',
      command: verdict.command,
      text: verdict.text,
      requester: verdict.requester,
      reason: 'the comment was edited before Stagegate ran it, and an edited comment runs nothing',
      hint: 'Post the command in a new comment.',
    };

  const claim = await deps.chatops.transaction((tx) =>
    claimCommand(tx, {
      repository,
      commentId,
      issueNumber: comment.issueNumber,
      author: comment.author.login,
      command: verdict.command,
      text: verdict.text,
      commentUrl: comment.url,
      receivedAt: deps.now().toISOString(),
    }),
  );
  if (!claim.fresh) return { kind: 'duplicate', state: claim.entry.state };

  const target: CommentTarget = await facts.target();
  const stage = target.kind === 'promotion' ? target.stage.name : target.kind === 'issue' && target.followUp ? target.followUp.stage : '';
  const headSha = target.kind === 'promotion' ? target.pr.headSha : null;
  const role = verdict.requester?.role ?? null;
  const requester = verdict.requester?.login ?? comment.author.login;

  let body: string;
  let state: 'done' | 'refused' | 'failed';
  let result: string;
  let extra: Parameters<typeof commandRecord>[0]['extra'] = {};
  let outcome: CommentOutcome;
  if (verdict.kind === 'refuse') {
    body = refusalBody(verdict.reason, verdict.hint);
    state = 'refused';
    result = verdict.reason;
    outcome = { kind: 'refused', command: verdict.command, reason: verdict.reason };
  } else if (verdict.kind === 'answer') {
    body = verdict.markdown;
    state = 'done';
    result = `answered ${verdict.command}`;
    outcome = { kind: 'answered', command: verdict.command };
  } else {
    const effect = verdict.effect;
    const done = await executeEffect({ deps, client, owner, repo, comment, requester, target, reevaluate: env.reevaluate, reevaluateStage: env.reevaluateStage, wakeAt: env.wakeAt }, effect);
    body = outcomeBody(effect, done, job.repo.htmlUrl);
    state = done.kind === 'failed' ? 'failed' : 'done';
    result = body.split('\n')[0]!.replace(/\*\*/g, '');
    extra = {
      effect: effect.kind,
      ...(done.kind === 'redeploy' ? { deploymentId: done.deploymentId } : {}),
      ...(effect.kind === 'lock' ? { lockId: effect.lock.id } : done.kind === 'unlock' ? { lockId: done.lock.id } : {}),
      ...(effect.kind === 'break-glass' || effect.kind === 'approve' ? { breakGlassId: effect.breakGlass.id } : {}),
    };
    outcome = { kind: 'acted', command: verdict.command, outcome: done.kind };
  }

  const reply = await upsertComment(client, {
    author: self.login,
    owner,
    repo,
    issueNumber: comment.issueNumber,
    marker: replyMarker(commentId),
    body: renderReply({ commentId, requester: comment.author.login, commandText: verdict.text, body }),
  });
  const at = deps.now().toISOString();
  await deps.store.append(
    commandRecord({ repository, stage, comment, command: verdict.command, text: verdict.text, role, outcome: state, result, at, extra: { ...extra, replyCommentId: reply.id }, headSha }),
  );
  await deps.chatops.transaction((tx) => finishCommand(tx, repository, commentId, { state, outcome: result, at, replyCommentId: reply.id }));
  return outcome;
}

/** The open promotion pull requests of a stage (by the default branch's policy), oldest first. */
async function openPromotionsOf(client: GitHubRequester, owner: string, repo: string, defaultBranch: string, stageName: string): Promise<number[]> {
  const loaded = await loadConfig({ source: githubConfigSource(client), owner, repo, baseRef: defaultBranch, defaultBranch });
  const stage = loaded.kind === 'ok' ? loaded.config.stages.find((s) => s.name === stageName) : undefined;
  if (!stage) return [];
  const res = await client.request('GET /repos/{owner}/{repo}/pulls', { owner, repo, state: 'open', base: stage.branch, head: `${owner}:${stage.from}`, per_page: 100 });
  return res.data.map((p) => p.number).sort((a, b) => a - b);
}

/**
 * Runs a `command` job: the command, with the re-evaluations it causes (through the app's gate, so
 * checks are published and timed re-evaluations set) and the wake-ups (a lock's end, a follow-up's
 * deadline) that settle what runs out by itself.
 */
export async function runIssueComment(ctx: JobContext, job: Job & { work: CommandWork }): Promise<void> {
  const { deps, client } = ctx;
  const { owner, repo, defaultBranch } = job.repo;
  const gate = async (n: number): Promise<GateResult | null> => {
    const r = await ctx.gate(job, n, 'command', null);
    return r.kind === 'evaluated' ? r.result : null;
  };
  const reevaluateStage = async (stage: string): Promise<number[]> => {
    const prs = await openPromotionsOf(client, owner, repo, defaultBranch, stage);
    for (const n of prs) await gate(n);
    return prs;
  };
  const wakeAt = (at: string): void => {
    ctx.schedule(new Date(Date.parse(at) + 1000), () => {
      sweepChatops(deps, { client, owner, repo, reevaluateStage }).catch((err: unknown) => ctx.log.error({ err }, 'stagegate: a ChatOps wake-up failed'));
    });
  };
  const result = await handleIssueComment({ deps, client, reevaluate: gate, reevaluateStage, wakeAt }, job);
  ctx.report({ event: job.event, outcome: 'command', result });
}
