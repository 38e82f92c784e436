import type { CommandDefinition } from './types.js';

/** `/stagegate recheck`: evaluate this promotion's gate again now, from GitHub's current state (as the check's Re-run does). */
export const recheckCommand: CommandDefinition<'recheck'> = {
  name: 'recheck',
  async decide(ctx) {
    const t = ctx.target;
    if (t.kind !== 'promotion') return { kind: 'refuse', reason: 'this is not a promotion pull request' };
    if (t.pr.state !== 'open') return { kind: 'refuse', reason: `#${t.pr.number} is ${t.pr.merged ? 'merged' : 'closed'}: only an open promotion has a gate to evaluate` };
    return { kind: 'act', effect: { kind: 'recheck', pullNumber: t.pr.number } };
  },
};
