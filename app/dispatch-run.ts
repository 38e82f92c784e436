import type { GitHubRequester } from '../src/github/client.js';

/** A workflow run found by its name. */
export interface FoundRun {
  id: number;
  status: string | null;
}

/**
 * Whether a dispatch error leaves it unknown if GitHub started the run: a 5xx, or no answer at all
 * (timeout, connection reset). A 4xx is GitHub refusing the dispatch: no run was started.
 */
export function isAmbiguous(err: unknown): boolean {
  const status = (err as { status?: unknown } | null)?.status;
  return typeof status !== 'number' || status >= 500;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The run of `workflow` whose name (`display_title`, from the documented workflow's `run-name:`) is
 * `name`, created at or after `since` (less a minute of clock skew). GitHub lists a dispatched run a
 * few seconds after accepting the dispatch, so `patient` looks again for about 20 s before saying none.
 */
export async function findDispatchedRun(
  client: GitHubRequester,
  q: { owner: string; repo: string; workflow: string; name: string; since: string | null; patient?: boolean },
): Promise<FoundRun | null> {
  const after = q.since ? new Date(new Date(q.since).getTime() - 60_000).toISOString() : null;
  const waits = q.patient ? [0, 1000, 2000, 4000, 6000, 8000] : [0];
  for (const wait of waits) {
    if (wait) await sleep(wait);
    const res = await client.request('GET /repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs', {
      owner: q.owner,
      repo: q.repo,
      workflow_id: q.workflow,
      event: 'workflow_dispatch',
      per_page: 100,
      ...(after ? { created: `>=${after}` } : {}),
    });
    const runs = (res.data as { workflow_runs: { id: number; display_title?: string; status: string | null; created_at: string }[] }).workflow_runs;
    const run = runs.find((r) => (r.display_title ?? '').trim() === q.name && (!after || Date.parse(r.created_at) >= Date.parse(after)));
    if (run) return { id: run.id, status: run.status };
  }
  return null;
}
