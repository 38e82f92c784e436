import { durationMs } from '../config/duration.js';
import type { CommandDefinition } from './types.js';

const short = (sha: string): string => sha.slice(0, 7);

/**
 * `/stagegate break-glass <reason>`: the emergency path, for members of the `break_glass`
 * teams (see the permission matrix). Records a break-glass bound to this promotion's head: the
 * gate then passes without what `break_glass.waive` lists (never without a passing build unless
 * `checks` is listed), its check and comment say BREAK-GLASS, and a follow-up issue assigned to
 * the stage's reviewers needs `follow_up.approvals` approvals before `follow_up.deadline`.
 */
export const breakGlassCommand: CommandDefinition<'break-glass'> = {
  name: 'break-glass',
  async decide(ctx) {
    const t = ctx.target;
    if (t.kind !== 'promotion') return { kind: 'refuse', reason: 'this is not a promotion pull request' };
    const { pr, stage, config } = t;
    const bgc = config.break_glass;
    if (!bgc) return { kind: 'refuse', reason: 'break-glass is not configured (`break_glass` in .github/stagegate.yml)' };
    if (bgc.stages && !bgc.stages.includes(stage.name)) return { kind: 'refuse', reason: `break-glass is not allowed for \`${stage.name}\` (break_glass.stages: ${bgc.stages.join(', ')})` };
    if (pr.state !== 'open') return { kind: 'refuse', reason: `#${pr.number} is ${pr.merged ? 'merged' : 'closed'}: break-glass opens the gate of an open promotion` };
    const existing = await ctx.facts.breakGlass(stage.name, pr.number, pr.headSha);
    if (existing) return { kind: 'refuse', reason: `@${existing.by} already broke the glass for head \`${short(pr.headSha)}\` at ${existing.at} (“${existing.reason}”)` };
    const reviewers = bgc.follow_up.reviewers ?? stage.signoff.reviewers ?? [];
    return {
      kind: 'act',
      effect: {
        kind: 'break-glass',
        assignees: reviewers.filter((r) => !r.startsWith('@') && r.toLowerCase() !== ctx.requester.login.toLowerCase()),
        breakGlass: {
          id: `${ctx.repository}:${ctx.comment.id}`,
          repository: ctx.repository,
          stage: stage.name,
          pullRequest: pr.number,
          headSha: pr.headSha.toLowerCase(),
          by: ctx.requester.login,
          reason: ctx.command.reason,
          at: ctx.now.toISOString(),
          waive: [...bgc.waive],
          commentUrl: ctx.comment.url,
          followUp: {
            issueNumber: null,
            issueUrl: null,
            approvalsRequired: bgc.follow_up.approvals,
            deadline: new Date(ctx.now.getTime() + durationMs(bgc.follow_up.deadline)).toISOString(),
            reviewers,
            approvals: [],
            overdueFlaggedAt: null,
          },
        },
      },
    };
  },
};
