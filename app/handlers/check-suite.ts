import type { Context } from 'probot';
import { rulesAffectedBy } from '../../src/gate/evaluate.js';
import type { Route } from '../jobs.js';
import { jobOf, ownPulls, type RouteKnowledge } from './common.js';

/** A `check_suite` delivery. */
export type CheckSuitePayload = Context<'check_suite'>['payload'];

/** Routes `check_suite.completed`: the gates of its commit, unless it is our own suite or no stage requires checks. */
export function routeCheckSuite(event: { id: string; name: string }, p: CheckSuitePayload, known: RouteKnowledge): Route {
  if (p.action !== 'completed') return { kind: 'ignore', why: `check_suite.${p.action} cannot change the gate` };
  const suite = p.check_suite;
  // Our own check run completes our own suite: re-evaluating on that would loop forever.
  if (known.appId !== null && suite.app?.id === known.appId) return { kind: 'ignore', why: 'our own check suite' };
  const policy = known.policy(p.repository.full_name);
  if (policy && !policy.stages.some((s) => rulesAffectedBy('check_suite', s, policy).length > 0)) return { kind: 'ignore', why: 'no stage requires checks' };
  return jobOf(event, p, { kind: 'gate-sha', sha: suite.head_sha ?? '', pulls: ownPulls(suite.pull_requests), event: 'check_suite' });
}
