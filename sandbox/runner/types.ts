/** What the workflow runner records. */

/** A local action a workflow step's `uses:` maps to: a node entry (e.g. `dist/index.js`) and its `action.yml`. */
export interface ActionEntry {
  /** Absolute path of the JavaScript file to run with node. */
  entry: string;
  /** `action.yml` whose input defaults apply (defaults to `action.yml` beside the entry's parent dir when present). */
  actionYml?: string;
}

/** One step as it ran. */
export interface StepResult {
  name: string;
  id: string | null;
  conclusion: 'success' | 'failure' | 'skipped';
  exitCode: number | null;
  outputs: Record<string, string>;
  stdout: string;
  stderr: string;
}

/** A recorded workflow run. */
export interface WorkflowRun {
  id: number;
  runNumber: number;
  repo: string;
  workflowPath: string;
  workflowName: string;
  ref: string;
  headSha: string;
  inputs: Record<string, string>;
  actor: string;
  /** `pending`: waiting for its concurrency group. */
  status: 'queued' | 'pending' | 'in_progress' | 'completed';
  conclusion: 'success' | 'failure' | 'cancelled' | 'timed_out' | null;
  /** Outputs of all steps, later steps winning. */
  outputs: Record<string, string>;
  summary: string;
  stdout: string;
  stderr: string;
  steps: StepResult[];
  error: string | null;
  workspace: string;
  /** The run's concurrency group (null without `concurrency:`). */
  concurrencyGroup: string | null;
  createdAt: string;
  completedAt: string | null;
}
