import type { Context } from 'probot';
import { CHECK_NAME } from '../check-writes.js';
import { CONFIG_CHECK_NAME } from '../../src/render/config-check.js';
import type { Route } from '../jobs.js';
import { jobOf, ownPulls, type RouteKnowledge } from './common.js';

/** A `check_run` delivery. */
export type CheckRunPayload = Context<'check_run'>['payload'];

/**
 * Routes `check_run`: a completed check a stage requires (or any, while the policy is unknown)
 * re-evaluates the gates of its commit; a re-run of our own check re-evaluates; our own checks
 * completing and other apps' re-runs do nothing.
 */
export function routeCheckRun(event: { id: string; name: string }, p: CheckRunPayload, known: RouteKnowledge): Route {
  const run = p.check_run;
  if (p.action !== 'completed' && p.action !== 'rerequested') return { kind: 'ignore', why: `check_run.${p.action} cannot change the gate` };
  if (run.name === CONFIG_CHECK_NAME && p.action === 'completed') return { kind: 'ignore', why: 'our own stagegate/config check' };
  const ours = run.name === CHECK_NAME;
  if (p.action === 'completed' && ours) return { kind: 'ignore', why: 'our own check run' };
  if (p.action === 'rerequested' && !ours) return { kind: 'ignore', why: 'a re-run of another app’s check' };
  const policy = known.policy(p.repository.full_name);
  if (!ours && policy && !policy.stages.some((s) => s.checks.includes(run.name))) return { kind: 'ignore', why: `no stage requires the check "${run.name}"` };
  return jobOf(event, p, { kind: 'gate-sha', sha: run.head_sha, pulls: ownPulls(run.pull_requests), event: ours ? 'pull_request' : 'check_run' });
}
