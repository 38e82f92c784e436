import type { CommandDefinition } from './types.js';

/**
 * `/stagegate approve` on a break-glass follow-up issue: one reviewer's approval after the fact
 * (the follow-up's reviewers, else anyone with write access; never the person who broke the glass).
 */
export const approveCommand: CommandDefinition<'approve'> = {
  name: 'approve',
  async decide(ctx) {
    const t = ctx.target;
    if (t.kind !== 'issue' || !t.followUp) return { kind: 'refuse', reason: 'approve works on a break-glass follow-up issue that Stagegate opened; this is not one' };
    const bg = t.followUp;
    const me = ctx.requester.login.toLowerCase();
    if (me === bg.by.toLowerCase()) return { kind: 'refuse', reason: `@${bg.by} broke the glass, so someone else must approve it` };
    if (bg.followUp.approvals.some((a) => a.login.toLowerCase() === me)) return { kind: 'refuse', reason: `@${ctx.requester.login} has approved this break-glass already` };
    if (bg.followUp.approvals.length >= bg.followUp.approvalsRequired)
      return { kind: 'refuse', reason: `this break-glass has its ${bg.followUp.approvalsRequired} approval${bg.followUp.approvalsRequired === 1 ? '' : 's'} already` };
    return { kind: 'act', effect: { kind: 'approve', breakGlass: bg, approval: { login: ctx.requester.login, at: ctx.now.toISOString(), commentUrl: ctx.comment.url, note: ctx.command.note } } };
  },
};
