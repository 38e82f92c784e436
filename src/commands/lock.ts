import { lockExpiry } from '../locks/model.js';
import type { CommandDefinition } from './types.js';

/**
 * `/stagegate lock [reason] [--for 2h]`: hold this PR's stage. While it holds, every gate of the
 * stage is pending (who, why, until when) and no merge deploys to it. The holder may lock again
 * (new reason or end); anyone else is refused while it holds. `locks.max_duration` bounds it.
 */
export const lockCommand: CommandDefinition<'lock'> = {
  name: 'lock',
  async decide(ctx) {
    const t = ctx.target;
    if (t.kind !== 'promotion') return { kind: 'refuse', reason: 'this is not a promotion pull request, so it names no stage to lock' };
    const expiry = lockExpiry(ctx.command.forMs, t.config.locks, ctx.now);
    if (!expiry.ok) return { kind: 'refuse', reason: expiry.reason };
    const held = await ctx.facts.lock(t.stage.name);
    if (held && held.holder.toLowerCase() !== ctx.requester.login.toLowerCase()) {
      return {
        kind: 'refuse',
        reason: `\`${t.stage.name}\` is already locked by @${held.holder}${held.reason ? ` (“${held.reason}”)` : ''}${held.expiresAt ? ` until ${held.expiresAt}` : ''}`,
        hint: 'Ask them to unlock it, or an admin.',
      };
    }
    return {
      kind: 'act',
      effect: {
        kind: 'lock',
        lock: {
          id: `${ctx.repository}:${ctx.comment.id}`,
          repository: ctx.repository,
          stage: t.stage.name,
          holder: ctx.requester.login,
          reason: ctx.command.reason,
          lockedAt: ctx.now.toISOString(),
          expiresAt: expiry.expiresAt,
          pullRequest: t.pr.number,
          commentUrl: ctx.comment.url,
        },
      },
    };
  },
};
