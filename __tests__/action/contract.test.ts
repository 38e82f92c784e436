import { describe, expect, it } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ACTION_INPUTS, ACTION_OUTPUTS, readBooleanInput, readInput } from '../../action/inputs.js';
import { RUN_NAME_EXPRESSION, RUN_NAME_EXPRESSION_PROTECTED } from '../../src/protocol/dispatch.js';
import { REASON_CODE_LIST } from '../../src/protocol/status.js';
import { deployWorkflow } from '../../sandbox/stack.js';
import { ROOT } from './harness.js';

// action.yml is what GitHub reads; the code reads ACTION_INPUTS and writes ACTION_OUTPUTS. They
// must say the same thing, and the bundle must read and write exactly those.

interface ActionYml {
  name: string;
  inputs: Record<string, { description: string; required?: boolean; default?: string }>;
  outputs: Record<string, { description: string }>;
  runs: { using: string; main: string };
}

const action = parse(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as ActionYml;
const bundle = readFileSync(join(ROOT, 'dist/index.js'), 'utf8');
const docs = readFileSync(join(ROOT, 'docs/action.md'), 'utf8');

describe('action.yml ↔ code', () => {
  it('runs the committed bundle on a current Node runtime', () => {
    expect(action.runs.main).toBe('dist/index.js');
    expect(['node20', 'node24']).toContain(action.runs.using);
    expect(existsSync(join(ROOT, action.runs.main))).toBe(true);
  });

  it('declares exactly the inputs the code reads, with the same required flags, defaults and descriptions', () => {
    expect(Object.keys(action.inputs).sort()).toEqual(Object.keys(ACTION_INPUTS).sort());
    expect(Object.keys(action.inputs).sort()).toEqual(['app', 'deployment-id', 'dry-run', 'environment', 'pull-request', 'sha', 'token']);
    for (const [name, spec] of Object.entries(ACTION_INPUTS)) {
      const yml = action.inputs[name]!;
      expect({ name, required: yml.required ?? false, default: yml.default, description: yml.description }).toEqual({
        name,
        required: spec.required,
        default: 'default' in spec ? spec.default : undefined,
        description: spec.description,
      });
    }
  });

  it('declares exactly the outputs the code writes', () => {
    expect(Object.keys(action.outputs).sort()).toEqual(Object.keys(ACTION_OUTPUTS).sort());
    expect(Object.keys(action.outputs).sort()).toEqual(['reason-code', 'report', 'result']);
    for (const [name, description] of Object.entries(ACTION_OUTPUTS)) expect(action.outputs[name]!.description).toBe(description);
  });

  it('the bundle reads every declared input and writes every declared output', () => {
    const unread = Object.keys(action.inputs).filter((n) => !bundle.includes(`readInput("${n}"`) && !bundle.includes(`readBooleanInput("${n}"`));
    const unwritten = Object.keys(action.outputs).filter((n) => !bundle.includes(`writeOutput("${n}"`));
    expect({ unread, unwritten }).toEqual({ unread: [], unwritten: [] });
  });

  it('inputs are read from INPUT_* with action.yml defaults', () => {
    const env = { INPUT_ENVIRONMENT: ' staging ', 'INPUT_DEPLOYMENT-ID': '5', 'INPUT_DRY-RUN': 'TRUE' };
    expect(readInput('environment', env)).toBe('staging');
    expect(readInput('deployment-id', env)).toBe('5');
    expect(readInput('pull-request', env)).toBe('');
    expect(() => readInput('app', env)).toThrow('input app is required');
    expect(readBooleanInput('dry-run', env)).toBe(true);
    expect(() => readInput('sha', env)).toThrow('input sha is required');
    expect(() => readBooleanInput('dry-run', { 'INPUT_DRY-RUN': 'yes' })).toThrow('input dry-run must be true or false, not "yes"');
  });
});

describe('docs/action.md', () => {
  it('documents every input, every output and the fixed list of reason codes, in order', () => {
    for (const name of [...Object.keys(ACTION_INPUTS), ...Object.keys(ACTION_OUTPUTS)]) expect(docs).toContain(`| \`${name}\` |`);
    const start = docs.indexOf('## Reason codes');
    expect(start).toBeGreaterThan(0);
    const end = docs.indexOf('\n## ', start + 1);
    const section = docs.slice(start, end < 0 ? undefined : end);
    const codes = [...section.matchAll(/^\| `([a-z-]+)` \|/gm)].map((m) => m[1]);
    expect(codes).toEqual(REASON_CODE_LIST);
  });

  it('shows both workflows users add, exactly as the sandbox runs them, with the run name the protocol parses', () => {
    const blocks = [...docs.matchAll(/```yaml\n# \.github\/workflows\/stagegate-deploy\.yml\n([\s\S]*?)```/g)].map((m) => m[1]);
    expect(blocks).toEqual([deployWorkflow('your-org/stagegate@v1'), deployWorkflow('your-org/stagegate@v1', { mode: 'protection_rule', secrets: ['DEPLOY_TOKEN'] })]);
    for (const [yml, expr] of [
      [blocks[0]!, RUN_NAME_EXPRESSION],
      [blocks[1]!, RUN_NAME_EXPRESSION_PROTECTED],
    ] as const) {
      const wf = parse(yml) as {
        'run-name': string;
        on: { workflow_dispatch: { inputs: Record<string, unknown> } };
        jobs: Record<string, { steps: { uses?: string; with?: Record<string, string> }[] }>;
      };
      expect(wf['run-name']).toBe(expr);
      expect(Object.keys(wf.on.workflow_dispatch.inputs).sort()).toEqual(['deployment_id', 'environment', 'pull_request', 'sha']);
      const steps = Object.values(wf.jobs)[0]!.steps;
      expect(steps.find((x) => x.uses?.startsWith('actions/checkout'))!.with?.ref).toBe('${{ inputs.sha }}');
      const gate = steps.find((x) => x.with && 'deployment-id' in x.with)!;
      expect(gate.with).toMatchObject({
        app: 'stagegate',
        environment: '${{ inputs.environment }}',
        sha: '${{ inputs.sha }}',
        'deployment-id': '${{ inputs.deployment_id }}',
        'pull-request': '${{ inputs.pull_request }}',
      });
      for (const key of Object.keys(gate.with!)) expect(Object.keys(ACTION_INPUTS)).toContain(key);
    }
  });
});
