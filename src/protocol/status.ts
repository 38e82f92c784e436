import { shortSha } from '../text.js';
/**
 * The deployment status description grammar, shared by the Action (which writes it) and the app
 * (which records it): `<result>: <reason-code>` optionally followed by ` (<detail>)`, at most 140
 * characters. A description is a *claim* anyone with `deployments: write` can post; the gate never
 * trusts it alone (see ./evidence.ts for what makes a verification evidence).
 */

/** The Action's `result` output. */
export type DeployResult = 'success' | 'failure' | 'rolled_back';

/**
 * The fixed list of reason codes (the Action's `reason-code` output and the start of every
 * deployment status description). Documented in docs/action.md; never extended silently.
 */
export const REASON_CODES = {
  ok: 'Deployed and verified: the deploy command, every smoke test and every metric check passed.',
  'dry-run': 'Dry run: inputs, deployment and policy are valid; nothing was deployed or changed.',
  'input-invalid': 'An input is missing or malformed (sha must be 40 hex characters, deployment-id and pull-request numbers, app a slug or id).',
  'deployment-not-found': 'The deployment named by deployment-id does not exist in this repository (or, in protection-rule mode, no deployment of this job was found).',
  'not-approved': 'Refused: the deployment was not created by the Stagegate app (or, in protection-rule mode, the environment is not protected by the Stagegate app), so no gate approved it.',
  'payload-invalid': "Refused: the deployment's payload does not name a Stagegate promotion, its approved head and the policy that approved it.",
  'promotion-mismatch': "Refused: the promotion the deployment names is not merged, or its merge commit, head or base branch is not the deployment's.",
  'already-deployed': 'Refused: this deployment was already picked up by an earlier run; a deployment runs once (deploy again through the app).',
  'sha-mismatch': "Refused: the deployment's sha or environment, or the checked-out commit, is not the approved one.",
  'config-invalid': 'The policy is missing or invalid, has no stage named like the environment, or the stage has no deploy command.',
  'deploy-failed': 'The deploy command exited with a non-zero code.',
  'deploy-timeout': 'The deploy command ran longer than deploy.timeout and was stopped.',
  'smoke-failed': 'At least one smoke test failed.',
  'metrics-failed': 'A metric check crossed its min or max threshold.',
  'metrics-no-data': 'A metric query returned no data (and on_no_data is fail, the default).',
  'metrics-unavailable': 'Prometheus could not be reached or answered with an error.',
  'rollback-failed': 'Verification failed and the rollback to the previous verified deployment failed too.',
  'github-error': 'A GitHub API call failed, so the outcome could not be recorded or determined.',
  'internal-error': 'An unexpected error in the action itself.',
} as const;

/** One reason code. */
export type ReasonCode = keyof typeof REASON_CODES;

/** All reason codes, in documentation order. */
export const REASON_CODE_LIST = Object.keys(REASON_CODES) as ReasonCode[];

/** GitHub's limit on deployment status descriptions. */
export const STATUS_DESCRIPTION_LIMIT = 140;

const RESULTS: readonly DeployResult[] = ['success', 'failure', 'rolled_back'];

/** A description as the grammar reads it. */
export interface ParsedStatusDescription {
  result: DeployResult;
  code: ReasonCode;
  detail: string | null;
}

/** One line of at most 140 characters, a cut marked with an ellipsis (any status description). */
export function fitDescription(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length <= STATUS_DESCRIPTION_LIMIT ? oneLine : `${oneLine.slice(0, STATUS_DESCRIPTION_LIMIT - 1)}…`;
}

/** `<result>: <code> (<detail>)`, cut to 140 characters with the closing parenthesis kept. */
export function statusDescription(result: DeployResult, code: ReasonCode, detail?: string): string {
  const base = `${result}: ${code}`;
  const text = detail ? `${base} (${detail.replace(/\s+/g, ' ').trim()})` : base;
  if (text.length <= STATUS_DESCRIPTION_LIMIT) return text;
  return `${text.slice(0, STATUS_DESCRIPTION_LIMIT - 2)}…)`;
}

/** The description the Action writes when it deployed and verified `sha` for this very deployment. */
export function verifiedDescription(sha: string): string {
  return statusDescription('success', 'ok', `verified ${shortSha(sha)}`);
}

/** The description of a rollback deployment that redeployed and smoke-tested `toSha`. */
export function rollbackSucceededDescription(failedDeploymentId: number, toSha: string): string {
  return statusDescription('success', 'ok', `rollback of deployment ${failedDeploymentId} to ${shortSha(toSha)}`);
}

/** Reads a description written in the grammar; null for anything else (another tool's text, or none). */
export function parseStatusDescription(description: string | null | undefined): ParsedStatusDescription | null {
  const m = /^(success|failure|rolled_back): ([a-z-]+)(?: \((.*)\))?$/s.exec(description ?? '');
  if (!m) return null;
  const result = m[1] as DeployResult;
  const code = m[2] as ReasonCode;
  if (!RESULTS.includes(result) || !(code in REASON_CODES)) return null;
  return { result, code, detail: m[3] ?? null };
}

/**
 * Whether a description *claims* that this deployment was deployed and verified
 * (`success: ok (verified abc1234)`), as opposed to a rollback's or another tool's `success`.
 * A claim only: evidence needs provenance (./evidence.ts).
 */
export function claimsVerified(description: string | null | undefined, sha?: string): boolean {
  const p = parseStatusDescription(description);
  if (!p || p.result !== 'success' || p.code !== 'ok' || !p.detail) return false;
  const m = /^verified ([0-9a-f]{7})$/.exec(p.detail);
  return m !== null && (sha === undefined || sha.toLowerCase().startsWith(m[1]!));
}
