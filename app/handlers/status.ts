import type { Context } from 'probot';
import type { Route } from '../jobs.js';
import { jobOf, type RouteKnowledge } from './common.js';

/** A `status` delivery. */
export type StatusPayload = Context<'status'>['payload'];

/** Routes `status`: the gates of its commit, unless no stage requires that status. */
export function routeStatus(event: { id: string; name: string }, p: StatusPayload, known: RouteKnowledge): Route {
  const policy = known.policy(p.repository.full_name);
  if (policy && !policy.stages.some((s) => s.checks.includes(p.context))) return { kind: 'ignore', why: `no stage requires the status "${p.context}"` };
  return jobOf(event, p, { kind: 'gate-sha', sha: p.sha, pulls: null, event: 'status' });
}
