import type { CommandDefinition } from './types.js';

/** `/stagegate unlock`: release this PR's stage (its holder, or an admin: see the permission matrix). */
export const unlockCommand: CommandDefinition<'unlock'> = {
  name: 'unlock',
  async decide(ctx) {
    const t = ctx.target;
    if (t.kind !== 'promotion') return { kind: 'refuse', reason: 'this is not a promotion pull request, so it names no stage to unlock' };
    const held = await ctx.facts.lock(t.stage.name);
    if (!held) return { kind: 'refuse', reason: `\`${t.stage.name}\` is not locked` };
    return { kind: 'act', effect: { kind: 'unlock', stage: t.stage.name, holder: held.holder } };
  },
};
