import type { AuditStore } from '../src/audit/types.js';
import type { Config } from '../src/config/schema.js';

/** Minimal logger (Probot's pino logger fits). */
export interface AppLogger {
  info(obj: unknown, msg?: string): void;
  warn(obj: unknown, msg?: string): void;
  error(obj: unknown, msg?: string): void;
}

/** What the app's handlers are given: injected, so tests pass their own. */
export interface AppDeps {
  /** Append-only audit trail. */
  store: AuditStore;
  /** The clock; tests pass a fixed one. */
  now: () => Date;
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
