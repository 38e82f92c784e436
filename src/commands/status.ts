import { statusBody } from './render.js';
import type { CommandDefinition } from './types.js';

/**
 * `/stagegate status`: this promotion's gate (evaluated now, when it is open), every stage's lock,
 * what runs there (sha, PR, since when, verified by evidence or not) and what is pending, and the
 * break-glass follow-ups not approved yet (overdue ones flagged). Changes nothing.
 */
export const statusCommand: CommandDefinition<'status'> = {
  name: 'status',
  async decide(ctx) {
    if (!ctx.config) return { kind: 'refuse', reason: 'there is no valid .github/stagegate.yml here, so there are no stages to report on' };
    const t = ctx.target;
    const openPromotion = t.kind === 'promotion' && t.pr.state === 'open';
    const [gate, stages, followUps] = await Promise.all([openPromotion ? ctx.facts.gate() : Promise.resolve(null), ctx.facts.overview(ctx.config), ctx.facts.openFollowUps()]);
    return { kind: 'answer', markdown: statusBody({ repository: ctx.repository, gate, target: t, stages, followUps, now: ctx.now }) };
  },
};
