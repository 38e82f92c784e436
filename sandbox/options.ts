/** The types of the sandbox's options and of what it records (exported from `sandbox/index.ts`). */

/** A request GitHub would reject, an invalid response the sandbox served, or an invalid webhook payload. */
export interface ContractViolation {
  kind: 'request' | 'response' | 'webhook' | 'unimplemented';
  method?: string;
  path?: string;
  operationId: string | null;
  status?: number;
  errors: string[];
}

/** Options of {@link GitHubSandbox.start}. */
export interface SandboxOptions {
  /** Where the git repositories live; a fresh temp dir when absent (removed on stop). */
  dataDir?: string;
  /** The app's webhook URL; webhooks are recorded but not sent while unset. */
  webhookUrl?: string;
  webhookSecret?: string;
  app?: { id?: number; slug?: string; name?: string };
  /** Milliseconds a webhook receiver may take (default 30 s). */
  deliveryTimeoutMs?: number;
  /** Send deliveries one at a time in order (default: concurrently, as GitHub does). */
  orderedDeliveries?: boolean;
  /** Extra environment for workflow runs (e.g. PATH additions). */
  runnerEnv?: Record<string, string>;
  /**
   * The events the app subscribes to: only these are delivered (others are listed in `sb.unsubscribed`), as GitHub
   * delivers only subscribed events. Default: the `default_events` of {@link SandboxOptions.appManifest}.
   */
  events?: string[];
  /** The app manifest whose `default_events` the app subscribes to (default: `app.yml` at the project root). */
  appManifest?: string;
  /** Requests an hour each caller (installation, user, app) may make (default 5,000, as GitHub allows an installation). */
  rateLimit?: number;
  /** GitHub's listing limits, lowered to test what a client does past them. */
  limits?: SandboxLimits;
  /** How long a job waits for an environment's custom deployment protection rules before it fails (GitHub: 30 days). */
  protectionRuleTimeoutMs?: number;
}

/** GitHub's listing limits the sandbox applies (see {@link SandboxOptions.limits}). */
export interface SandboxLimits {
  /** Entries of a recursive tree listing before `truncated` (GitHub: 100,000). */
  treeEntries?: number;
}

/** An environment as {@link GitHubSandbox.createEnvironment} sets it up. */
export interface EnvironmentOptions {
  /** Apps (slugs) whose custom deployment protection rule is enabled on it; `stagegate` is the app under test. */
  protectionRules?: string[];
  /** Environment secrets, for jobs that use the environment. */
  secrets?: Record<string, string>;
  /** Deployment branch policy: only these branches may deploy to it (default: any). */
  branches?: string[];
}

/** A webhook the sandbox did not deliver because the app does not subscribe to its event. */
export interface UnsubscribedEvent {
  event: string;
  action: string | null;
  repository: string;
}

/** An author or committer: a sandbox user's login, or a raw git identity. */
export type PersonRef = string | { name: string; email: string };
