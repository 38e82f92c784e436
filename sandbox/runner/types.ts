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

/** A job of a run that uses an environment: its deployment, and how its protection rules answered. */
export interface JobEnvironment {
  job: string;
  /** The job's id (in its log URL). */
  jobId: number;
  environment: string;
  deploymentId: number | null;
  /** `waiting` until every custom protection rule approved (or one rejected, or the wait timed out). */
  state: 'waiting' | 'approved' | 'rejected' | 'timed_out' | 'not_allowed';
  /** What the apps said (state and comment), in order. */
  reviews: Array<{ app: string; state: 'approved' | 'rejected' | null; comment: string; at: string }>;
}

/** A recorded workflow run. */
export interface WorkflowRun {
  id: number;
  runNumber: number;
  repo: string;
  workflowPath: string;
  workflowName: string;
  /** The workflow's `run-name:` evaluated with the run's inputs (the workflow's name when it has none), as GitHub shows it (`display_title`). */
  displayTitle: string;
  /** The triggering event. */
  event: 'workflow_dispatch';
  ref: string;
  headSha: string;
  inputs: Record<string, string>;
  actor: string;
  /** `pending`: waiting for its concurrency group; `waiting`: a job waits for an environment's protection rules. */
  status: 'queued' | 'pending' | 'in_progress' | 'waiting' | 'completed';
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
  /** When the run last changed. */
  updatedAt: string;
  completedAt: string | null;
  /** Jobs that used an environment. */
  environments: JobEnvironment[];
}
