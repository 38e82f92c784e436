/** Validating a `workflow_dispatch` as GitHub does: the ref, the workflow file at it, its trigger and inputs. */
import { parse as parseYaml } from 'yaml';
import { HttpError } from '../routes/route.js';
import type { RepoState } from '../state.js';

/** A workflow file as the runner reads it. */
export interface WorkflowDoc {
  name?: string;
  env?: Record<string, unknown>;
  on?: unknown;
  concurrency?: string | { group?: unknown; 'cancel-in-progress'?: unknown } | null;
  jobs?: Record<string, { 'runs-on'?: unknown; env?: Record<string, unknown>; steps?: Array<Record<string, unknown>>; 'timeout-minutes'?: number }>;
}

/** A stable numeric id for a workflow file path (as the REST API's `workflow_id`). */
export function workflowIdOf(path: string): number {
  let h = 7;
  for (const ch of path) h = (h * 31 + ch.charCodeAt(0)) % 1_000_000_007;
  return 100_000 + (h % 900_000);
}

/** What a valid dispatch resolves to; throws {@link HttpError} (404 / 422) as GitHub answers an invalid one. */
export async function validateDispatch(
  r: RepoState,
  workflowId: string,
  ref: string,
  rawInputs: Record<string, unknown>,
): Promise<{ sha: string; branch: string; path: string | null; doc: WorkflowDoc; inputs: Record<string, string> }> {
  const branch = ref.replace(/^refs\/heads\//, '');
  const sha = (await r.git.resolve(`refs/heads/${branch}`)) ?? (await r.git.resolve(`refs/tags/${ref.replace(/^refs\/tags\//, '')}`));
  if (!sha) throw new HttpError(422, `No ref found for: ${ref}`);
  const path = /^\d+$/.test(workflowId) ? await pathOfId(r, sha, Number(workflowId)) : `.github/workflows/${workflowId}`;
  const file = path ? await r.git.readPath(sha, path) : null;
  if (!file || file.type !== 'blob') throw new HttpError(404, 'Not Found');
  let doc: WorkflowDoc;
  try {
    doc = parseYaml(file.content.toString('utf8')) as WorkflowDoc;
  } catch (err) {
    throw new HttpError(422, `Invalid workflow file: ${err instanceof Error ? err.message : String(err)}`);
  }
  const on = doc.on as Record<string, unknown> | string | string[] | undefined;
  const hasDispatch =
    on === 'workflow_dispatch' || (Array.isArray(on) && on.includes('workflow_dispatch')) || (typeof on === 'object' && on !== null && !Array.isArray(on) && 'workflow_dispatch' in on);
  if (!hasDispatch) throw new HttpError(422, "Workflow does not have 'workflow_dispatch' trigger");
  const declared = ((typeof on === 'object' && on !== null && !Array.isArray(on) ? (on.workflow_dispatch as { inputs?: Record<string, { required?: boolean; default?: unknown }> } | null) : null)
    ?.inputs ?? {}) as Record<string, { required?: boolean; default?: unknown }>;
  const unexpected = Object.keys(rawInputs).filter((k) => !(k in declared));
  if (unexpected.length) throw new HttpError(422, `Unexpected inputs provided: ${JSON.stringify(unexpected)}`);
  const inputs: Record<string, string> = {};
  for (const [k, spec] of Object.entries(declared)) {
    const v = rawInputs[k];
    if (v === undefined || v === '') {
      if (spec?.required && spec.default === undefined) throw new HttpError(422, `Required input '${k}' not provided`);
      if (spec?.default !== undefined) inputs[k] = String(spec.default);
      continue;
    }
    inputs[k] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  return { sha, branch, path, doc, inputs };
}

async function pathOfId(r: RepoState, sha: string, id: number): Promise<string | null> {
  const dir = await r.git.readPath(sha, '.github/workflows');
  if (!dir || dir.type !== 'tree') return null;
  return dir.entries.find((e) => workflowIdOf(e.path) === id)?.path ?? null;
}
