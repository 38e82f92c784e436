/**
 * The REST operations the sandbox serves. Each `routes/<category>.ts` holds the handlers of one category of
 * GitHub's REST API — the operation's `x-github.category` in `@octokit/openapi`, the `<category>` of its
 * docs.github.com/rest/<category> page — keyed by operationId. To serve a new operation, add its handler to
 * the table of its category (a new file for a new category, listed here).
 */
import { routes as actions } from './actions.js';
import { routes as apps } from './apps.js';
import { routes as branches } from './branches.js';
import { routes as checks } from './checks.js';
import { routes as collaborators } from './collaborators.js';
import { routes as commits } from './commits.js';
import { routes as deployments } from './deployments.js';
import { routes as git } from './git.js';
import { routes as issues } from './issues.js';
import { routes as pulls } from './pulls.js';
import { routes as reactions } from './reactions.js';
import { routes as releases } from './releases.js';
import { routes as repos } from './repos.js';
import { routes as teams } from './teams.js';
import { routes as users } from './users.js';
import type { GitHubSandbox } from '../github-sandbox.js';
import { HttpError, type RouteContext, type RouteResult, type RouteTable } from './route.js';

export { HttpError, type Handler, type RouteContext, type RouteResult, type RouteTable } from './route.js';
export { matchRoute } from './match.js';

/** The route tables by category (the file each lives in). */
export const routeTables: Readonly<Record<string, RouteTable>> = { actions, apps, branches, checks, collaborators, commits, deployments, git, issues, pulls, reactions, releases, repos, teams, users };

const handlers: RouteTable = {};
for (const [category, table] of Object.entries(routeTables)) {
  for (const [operationId, handler] of Object.entries(table)) {
    if (handlers[operationId]) throw new Error(`sandbox route ${operationId} is served twice (again in routes/${category}.ts)`);
    handlers[operationId] = handler;
  }
}

/** The operationIds the sandbox implements. */
export const servedOperations: ReadonlySet<string> = new Set(Object.keys(handlers));

/** Runs the handler of `ctx.operationId`; operations GitHub has but the sandbox does not serve answer 501. */
export async function dispatchRoute(sb: GitHubSandbox, ctx: RouteContext): Promise<RouteResult> {
  const handler = handlers[ctx.operationId];
  if (!handler) throw new HttpError(501, `The sandbox does not implement ${ctx.operationId}`);
  return handler(sb, ctx);
}
