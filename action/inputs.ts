/** One input of the action, as declared in action.yml. */
export interface InputSpec {
  required: boolean;
  /** The default in action.yml; absent for inputs without one. */
  default?: string;
  description: string;
}

/** Every input of the action. `action.yml` must declare exactly these (a contract test checks). */
export const ACTION_INPUTS = {
  token: {
    required: false,
    default: '${{ github.token }}',
    description: 'Token for the GitHub API: needs deployments: write and pull-requests: write (issues: write for the comment).',
  },
  environment: { required: true, description: 'Stage (GitHub Deployments environment) to deploy, as sent by the Stagegate app.' },
  sha: { required: true, description: 'The approved commit SHA (40 hex characters); the deployment must be for exactly this commit.' },
  'deployment-id': { required: true, description: 'The GitHub Deployment the Stagegate app created.' },
  'pull-request': { required: false, default: '', description: "Promotion pull request number for the report comment (default: the deployment payload's pull_request)." },
  config: { required: false, default: '.github/stagegate.yml', description: 'Configuration file, relative to the workspace (the checkout of sha).' },
  'dry-run': { required: false, default: 'false', description: 'Validate inputs, deployment and configuration, then stop: run nothing and change nothing.' },
} as const satisfies Record<string, InputSpec>;

/** An input name. */
export type InputName = keyof typeof ACTION_INPUTS;

/** Every output of the action, with its description. `action.yml` must declare exactly these. */
export const ACTION_OUTPUTS = {
  result: 'success, failure or rolled_back.',
  'reason-code': 'Why: one code of the fixed list in docs/action.md (ok, sha-mismatch, metrics-failed, ...).',
  report: 'The whole outcome as JSON: every check with its observed value, threshold, verdict, duration and evidence.',
} as const;

/** An output name. */
export type OutputName = keyof typeof ACTION_OUTPUTS;

/** Thrown when an input cannot be used (reason code input-invalid). */
export class InputError extends Error {
  override name = 'InputError';
}

/** Reads one input the way the runner passes it (`INPUT_<NAME>`), trimmed; the default when empty. */
export function readInput(name: InputName, env: NodeJS.ProcessEnv = process.env): string {
  const value = (env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim();
  const spec: InputSpec = ACTION_INPUTS[name];
  if (value) return value;
  if (spec.required) throw new InputError(`input ${name} is required`);
  return spec.default !== undefined && !spec.default.startsWith('${{') ? spec.default : '';
}

/** Parses a YAML 1.2 core boolean input (`true`/`false` in any case). */
export function readBooleanInput(name: InputName, env: NodeJS.ProcessEnv = process.env): boolean {
  const v = readInput(name, env).toLowerCase();
  if (v === 'true') return true;
  if (v === 'false' || v === '') return false;
  throw new InputError(`input ${name} must be true or false, not "${v}"`);
}
