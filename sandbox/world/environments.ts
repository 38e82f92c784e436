/** Deployment environments: custom deployment protection rules (apps), secrets, deployment branch policy. */
import type { GitHubSandbox } from '../github-sandbox.js';
import { iso } from '../json/common.js';
import type { EnvironmentOptions } from '../options.js';
import { environmentOf } from '../runner/environments.js';
import type { AppData, EnvironmentState, RepoState } from '../state.js';

function appBySlug(sb: GitHubSandbox, slug: string): AppData {
  for (const app of [sb.app, sb.actionsApp, sb.ciApp]) if (app.slug === slug) return app;
  throw new Error(`no app "${slug}" in the sandbox (the app under test is "${sb.app.slug}")`);
}

/** Creates the environment when needed and applies `opts` (rules and secrets are replaced when given). */
export function configureEnvironment(sb: GitHubSandbox, r: RepoState, name: string, opts: EnvironmentOptions): EnvironmentState {
  const env = environmentOf(sb, r, name);
  if (opts.protectionRules) env.protectionRules = opts.protectionRules.map((slug) => ({ id: sb.nextId() + 81_000_000, app: appBySlug(sb, slug), enabled: true }));
  if (opts.secrets) env.secrets = new Map(Object.entries(opts.secrets));
  if (opts.branches) env.branches = [...opts.branches];
  env.updatedAt = iso();
  return env;
}
