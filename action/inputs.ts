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
    description:
      "Token for the GitHub API: needs deployments: write, pull-requests: write and issues: write (the report comment), and actions: read (this run, and the environment's protection rules). The default GITHUB_TOKEN is what the evidence rules expect.",
  },
  app: {
    required: true,
    description: 'The Stagegate GitHub App (its slug, e.g. stagegate, or its numeric id): only deployments that app created, or job deployments it approved as a protection rule, are deployed.',
  },
  environment: { required: true, description: 'Stage (GitHub Deployments environment) to deploy, as sent by the Stagegate app.' },
  sha: { required: true, description: 'The approved commit SHA (40 hex characters): the merge commit of the promotion.' },
  'deployment-id': {
    required: false,
    default: '',
    description: 'The GitHub Deployment the Stagegate app created (dispatch mode). Empty in protection-rule mode: the job deployment GitHub created for this run is used.',
  },
  'pull-request': { required: false, default: '', description: 'Promotion pull request number for the report comment (default: the promotion the deployment names).' },
  'dry-run': { required: false, default: 'false', description: 'Check the inputs, the deployment, its approval and its policy, then stop: run nothing and change nothing.' },
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
