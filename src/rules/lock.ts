import type { Rule } from '../gate/types.js';
import { describeLock } from '../locks/model.js';
import { failClosed } from './common.js';

const ID = 'lock';
const TITLE = 'Lock';

/**
 * Lock: while the stage is locked (`/stagegate lock`), its gates are pending with who holds it,
 * why and until when, and no merge deploys to it. Read from the app's own database, never from
 * GitHub: nobody can post a lock, or lift one, except through a permitted command. Without that
 * database consulted the rule is pending, and blocked when it cannot be read (a gate never
 * passes because the lock state is unknown). A lock
 * with an end sets `nextChangeAt`, so the gate turns green when it expires, without any webhook.
 */
export const lockRule: Rule = {
  id: ID,
  title: TITLE,
  triggers: ['command', 'time'],
  applies: () => true,
  evaluate: failClosed(ID, TITLE, async (ctx) => {
    // Not consulted (e.g. `stagegate explain` without the app's database): unknown, so never passed.
    if (!ctx.holds) return { id: ID, title: TITLE, state: 'pending', reason: 'the lock state is not known here: the app’s database was not consulted', matched: [] };
    let lock;
    try {
      lock = await ctx.holds.lock(ctx.stage.name);
    } catch (err) {
      return { id: ID, title: TITLE, state: 'blocked', reason: `the lock state could not be read: ${(err as Error).message}`, matched: [] };
    }
    if (!lock) return { id: ID, title: TITLE, state: 'passed', reason: `${ctx.stage.name} is not locked`, matched: [] };
    return {
      id: ID,
      title: TITLE,
      state: 'pending',
      reason: `${ctx.stage.name} is ${describeLock(lock)}`,
      matched: [lock.holder],
      ...(lock.expiresAt ? { nextChangeAt: lock.expiresAt } : {}),
    };
  }),
};
