import type { Listing } from '../facts/types.js';
import { errorMessage } from '../errors.js';
import type { RuleContext, RuleId, RuleResult } from '../gate/types.js';

/** A fact that could not be read (an error, or an incomplete listing): the rule fails closed. */
export class UnreadableFact extends Error {
  override readonly name = 'UnreadableFact';
}

export { errorMessage } from '../errors.js';

/** Reads one fact; an error becomes an {@link UnreadableFact} naming what could not be read. */
export async function readFact<T>(what: string, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof UnreadableFact) throw err;
    throw new UnreadableFact(`could not read ${what}: ${errorMessage(err)}`);
  }
}

/** Reads a listing that must be complete; an error or an incomplete listing becomes an {@link UnreadableFact}. */
export async function readAll<T>(what: string, read: () => Promise<Listing<T>>): Promise<T[]> {
  const listing = await readFact(what, read);
  if (!listing.complete) throw new UnreadableFact(`could not read every ${what} (${listing.reason})`);
  return listing.items;
}

export { shortSha } from '../text.js';

/** `1 file` / `2 files`. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** `a`, `a or b`, `a, b or c` (or `and`). */
export function humanList(items: readonly string[], conj: 'or' | 'and' = 'and'): string {
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} ${conj} ${items[items.length - 1]}`;
}

/**
 * Wraps a rule's evaluation so that anything it throws (an unreadable fact, a bug) becomes a `blocked`
 * result naming the error: rules fail closed, never the process.
 */
export function failClosed(id: RuleId, title: string, evaluate: (ctx: RuleContext) => Promise<RuleResult>): (ctx: RuleContext) => Promise<RuleResult> {
  return async (ctx) => {
    try {
      return await evaluate(ctx);
    } catch (err) {
      return { id, title, state: 'blocked', reason: errorMessage(err), matched: [] };
    }
  };
}

/** The earlier of two optional ISO instants. */
export function earliest(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Date.parse(a) <= Date.parse(b) ? a : b;
}
