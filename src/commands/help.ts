import { helpBody } from './render.js';
import type { CommandDefinition } from './types.js';

/** `/stagegate help`: the commands this person may run here. Reads nothing more; changes nothing. */
export const helpCommand: CommandDefinition<'help'> = {
  name: 'help',
  decide: async (ctx) => ({ kind: 'answer', markdown: helpBody(ctx.allowed, ctx.target) }),
};
