import type { AuditDatabase } from '../src/audit/types.js';
import type { Config } from '../src/config/schema.js';
import type { FactCache } from '../src/github/fact-cache.js';
import type { ChatopsState } from '../src/locks/open.js';

/** Minimal logger (Probot's pino logger fits). */
export interface AppLogger {
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
}

/** Who this app is on GitHub. */
export interface AppSelf {
  id: number;
  slug: string;
  /** `<slug>[bot]`: the login its writes carry. */
  login: string;
}

/** What the app's handlers are given: injected, so tests pass their own. */
export interface AppDeps {
  /** This app's identity (read once from `GET /app`): evidence is what it created, comments are its own. */
  self: () => Promise<AppSelf>;
  /** Append-only audit trail, and the deployment intents in the same database. */
  store: AuditDatabase;
  /** Locks, break-glasses and the command history (same database as the audit trail): the lock rule and break-glass read it. */
  chatops: ChatopsState;
  /** The clock; tests pass a fixed one. */
  now: () => Date;
  /**
   * Facts shared by every evaluation of the process (immutable facts by SHA, ETags for conditional
   * reads, short-lived permissions), and the gate comment's id and fingerprint. Default: a fresh one.
   */
  cache?: FactCache;
  /**
   * Runs `task` at `at` (default: a timer). Soak periods and deploy windows change a gate without
   * any webhook, so the app re-evaluates at the time a result says it may change.
   */
  schedule?: (at: Date, task: () => void) => { cancel(): void };
  /**
   * The last check output this process published per `owner/repo@head`: an identical result is not
   * published again (a new check run completes a new check suite, which would only re-trigger).
   */
  published?: Map<string, string>;
  /** Told of each valid policy read, so later events that cannot change a result skip all requests. */
  onPolicy?: (repository: string, config: Config) => void;
}
