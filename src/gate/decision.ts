import type { Decision, GateResult } from './types.js';

/**
 * What to do with a gate result: `deploy` when it passed, `wait` when it is pending, `block` when it is
 * blocked. The reasons are the non-passed rules' reasons, each prefixed with its rule's title.
 */
export function decide(result: GateResult): Decision {
  const reasons = result.rules.filter((r) => r.state !== 'passed').map((r) => `${r.title}: ${r.reason}`);
  if (result.state !== 'passed' && reasons.length === 0) reasons.push(`Gate: ${result.state}`);
  switch (result.state) {
    case 'passed':
      return { kind: 'deploy', reasons };
    case 'pending':
      return { kind: 'wait', reasons };
    default:
      return { kind: 'block', reasons };
  }
}
