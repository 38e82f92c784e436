import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { DeployIntent, IntentKey, IntentPatch } from '../src/audit/deploy-intents.js';
import type { AuditEventInput } from '../src/audit/types.js';
import { durationMs } from '../src/config/duration.js';
import type { Config, StageConfig } from '../src/config/schema.js';
import type { GitHubRequester } from '../src/github/client.js';
import { parseDeploymentPayload, type PromotionPayload } from '../src/protocol/deployment-payload.js';
import { dispatchInputs, runName } from '../src/protocol/dispatch.js';
import { isStagegateApp } from '../src/protocol/evidence.js';
import { MERGE_MARKER } from '../src/protocol/markers.js';
import { renderMergeComment, type MergeOutcome } from '../src/render/gate.js';
import type { AppDeps } from './deps.js';
import { upsertComment } from './comment-writes.js';
import type { MergeResult } from './merge.js';
import { findDispatchedRun, isAmbiguous } from './dispatch-run.js';

/** How long a holder may work on an intent before another process may take it over. */
export const INTENT_LEASE_MS = 2 * 60_000;

/** The approved promotion to deploy, as the merge handler decided it. */
export interface ApprovedMerge {
  client: GitHubRequester;
  owner: string;
  repo: string;
  config: Config;
  stage: StageConfig;
  mergeSha: string;
  pullRequest: number;
  mergedBy: string | null;
  repoUrl: string;
  /** Fields every audit record of this merge carries. */
  common: Omit<AuditEventInput, 'key' | 'stage' | 'actor' | 'kind' | 'details'>;
  /** The deployment payload (dispatch mode) and the evidence recorded with the deployment. */
  payload: PromotionPayload;
  evidence: Record<string, unknown>;
  finalStage: boolean;
}

interface ApiDeployment {
  id: number;
  payload: unknown;
  performed_via_github_app?: { id: number; slug?: string } | null;
}

/**
 * Deploys an approved merge exactly once across app processes, retries and redeliveries: the
 * intent for (repository, PR, merge commit) is claimed in the database before anything is created;
 * only its holder creates the deployment and dispatches, recording each step before the next, so a
 * holder that dies is resumed where it stopped. After an ambiguous dispatch error (a 5xx or no
 * answer: GitHub may have started the run) the run is looked for by its name before dispatching again.
 */
export async function deployOnce(deps: AppDeps, m: ApprovedMerge): Promise<MergeResult> {
  const repository = `${m.owner}/${m.repo}`;
  const key: IntentKey = { repository, pullRequest: m.pullRequest, mergeSha: m.mergeSha };
  const holder = `${hostname()}:${process.pid}:${randomUUID()}`;
  const ref = m.config.deploy.ref ?? m.stage.branch;
  const startTimeoutMs = m.config.deploy.mode === 'dispatch' ? durationMs(m.config.deploy.start_timeout) : null;
  const claim = await deps.store.intents.claim(key, { stage: m.stage.name, workflow: m.config.deploy.workflow, ref, startTimeoutMs }, holder, deps.now(), INTENT_LEASE_MS);
  if (claim.kind !== 'claimed') return { kind: 'replayed', deploymentId: claim.intent.deploymentId ?? 0 };
  try {
    return await resume(deps, m, claim.intent, holder, ref);
  } catch (err) {
    // Let a retry of this delivery take over at once, from the step recorded last.
    await deps.store.intents.release(key, holder, deps.now()).catch(() => undefined);
    throw err;
  }
}

async function resume(deps: AppDeps, m: ApprovedMerge, start: DeployIntent, holder: string, ref: string): Promise<MergeResult> {
  const { client, owner, repo } = m;
  const repository = `${owner}/${repo}`;
  const protection = m.config.deploy.mode === 'protection_rule';
  let intent = start;
  const advance = async (patch: IntentPatch): Promise<DeployIntent | null> => {
    const next = await deps.store.intents.update(intent, holder, patch, deps.now(), INTENT_LEASE_MS);
    if (next) intent = next;
    return next;
  };
  const lost = (): MergeResult => ({ kind: 'replayed', deploymentId: intent.deploymentId ?? 0 });
  const comment = async (o: MergeOutcome) =>
    upsertComment(client, { author: (await deps.self()).login, owner, repo, issueNumber: m.pullRequest, marker: MERGE_MARKER, body: renderMergeComment(o, m.repoUrl) });
  const actor = m.mergedBy;

  let deploymentId: number | null = intent.deploymentId;
  if (!protection && deploymentId === null) {
    // A holder that died after creating the deployment left it on GitHub: find it before creating one.
    deploymentId = (await ownDeployment(deps, m)) ?? (await createDeployment(deps, m));
    if (!(await advance({ state: 'created', deploymentId }))) return lost();
  }
  const setStatus = (state: 'queued' | 'error', description: string) =>
    deploymentId === null
      ? Promise.resolve()
      : client.request('POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses', { owner, repo, deployment_id: deploymentId, state, description: description.slice(0, 140) });
  const dispatchKey = (outcome: 'dispatched' | 'dispatch-failed') =>
    deploymentId === null
      ? `merge:${repository}:${m.stage.name}@${m.mergeSha}:${outcome === 'dispatched' ? 'dispatched' : 'dispatched-failed'}`
      : `deployment:${repository}:${deploymentId}:${outcome}`;
  const workflow = m.config.deploy.workflow;
  const inputs = dispatchInputs({ environment: m.stage.name, sha: m.mergeSha, deploymentId, pullRequest: m.pullRequest });
  const details = { ...(protection ? { mode: 'protection_rule' } : { deploymentId }), workflow, ref, inputs };
  const fail = async (error: string, dispatched: boolean): Promise<MergeResult> => {
    await setStatus('error', dispatched ? `dispatch of ${workflow} failed: ${error}` : error);
    if (dispatched) await deps.store.append({ ...m.common, key: dispatchKey('dispatch-failed'), stage: m.stage.name, actor: null, kind: 'deployment.dispatched', details: { ...details, error } });
    await advance({ state: 'failed', outcome: error });
    await comment({ kind: 'dispatch-failed', stage: m.stage.name, deploymentId, sha: m.mergeSha, workflow, error });
    return { kind: 'failed', deploymentId, error };
  };

  if (intent.state === 'claimed' || intent.state === 'created') {
    if (deploymentId !== null) {
      try {
        await deps.store.append({
          ...m.common,
          key: `deployment:${repository}:${deploymentId}:created`,
          stage: m.stage.name,
          actor,
          kind: 'deployment.created',
          details: { deploymentId, environment: m.stage.name, sha: m.mergeSha, ...m.evidence },
        });
      } catch (err) {
        return fail(`the audit trail could not record the deployment (${(err as Error).message}); nothing was dispatched`, false);
      }
      // `queued` goes first: a fast runner's `in_progress`/`success` must never be followed by it.
      await setStatus('queued', `dispatching ${workflow}`);
    }
  }

  // Recorded as dispatched by a holder that died before saying so on the intent (or before intents existed).
  const recorded = await deps.store.findByKey(dispatchKey('dispatched'));
  if (recorded) {
    await advance({ state: 'dispatched', dispatchedAt: recorded.at });
    return lost();
  }

  const name = runName({ environment: m.stage.name, sha: m.mergeSha, deploymentId });
  // A holder that died while dispatching may have started the run.
  let run = intent.state === 'dispatching' ? await findDispatchedRun(client, { owner, repo, workflow, name, since: intent.dispatchStartedAt }) : null;
  for (let attempt = 1; !run; attempt++) {
    const startedAt = deps.now().toISOString();
    if (!(await advance({ state: 'dispatching', dispatchStartedAt: startedAt }))) return lost();
    try {
      // Never retried blindly (Octokit's retry plugin repeats a 502): the run is looked for first.
      await client.request('POST /repos/{owner}/{repo}/actions/workflows/{workflow_id}/dispatches', { owner, repo, workflow_id: workflow, ref, inputs, request: { retries: 0 } });
      break;
    } catch (err) {
      if (!isAmbiguous(err)) return fail((err as Error).message, true);
      // GitHub may have started the run before the error: look for it before dispatching again.
      run = await findDispatchedRun(client, { owner, repo, workflow, name, since: startedAt, patient: true });
      if (!run && attempt >= 2) return fail(`${(err as Error).message} (twice; no run named "${name}" appeared)`, true);
    }
  }
  if (!(await advance({ state: 'dispatched', dispatchedAt: deps.now().toISOString(), ...(run ? { runId: run.id } : {}) }))) return lost();
  await deps.store.append({ ...m.common, key: dispatchKey('dispatched'), stage: m.stage.name, actor: null, kind: 'deployment.dispatched', details: { ...details, ...(run ? { runId: run.id } : {}) } });
  await comment({ kind: 'deployed', stage: m.stage.name, deploymentId, sha: m.mergeSha, workflow, dispatched: true });
  return protection ? { kind: 'dispatched', sha: m.mergeSha } : { kind: 'deployed', deploymentId: deploymentId! };
}

/** This app's deployment of the promotion, if one exists on GitHub (created by a holder that died before recording it). */
async function ownDeployment(deps: AppDeps, m: ApprovedMerge): Promise<number | null> {
  const self = await deps.self();
  const repository = `${m.owner}/${m.repo}`;
  const list = (await m.client.request('GET /repos/{owner}/{repo}/deployments', { owner: m.owner, repo: m.repo, sha: m.mergeSha, environment: m.stage.name, per_page: 100 })).data as ApiDeployment[];
  const found = list.find((d) => {
    const p = parseDeploymentPayload(d.payload);
    const via = d.performed_via_github_app ? { id: d.performed_via_github_app.id, slug: d.performed_via_github_app.slug ?? null } : null;
    return isStagegateApp(via, { app: { id: self.id, slug: self.slug }, repository, workflow: '', ref: '' }) && p.kind === 'promotion' && p.payload.pull_request === m.pullRequest;
  });
  return found?.id ?? null;
}

async function createDeployment(deps: AppDeps, m: ApprovedMerge): Promise<number> {
  const anchor = await deps.store.head(`${m.owner}/${m.repo}`);
  const created = await createRequest(m, anchor).catch(async (err: unknown) => {
    if (!isAmbiguous(err)) throw err;
    // GitHub may have created it before the error: find it rather than create a second one.
    for (const wait of [0, 1000, 3000]) {
      await new Promise((r) => setTimeout(r, wait));
      const id = await ownDeployment(deps, m);
      if (id !== null) return { data: { id } };
    }
    throw err;
  });
  return (created.data as { id: number }).id;
}

function createRequest(m: ApprovedMerge, anchor: { seq: number; hash: string } | null) {
  return m.client.request('POST /repos/{owner}/{repo}/deployments', {
    owner: m.owner,
    repo: m.repo,
    ref: m.mergeSha,
    environment: m.stage.name,
    task: 'deploy',
    auto_merge: false,
    required_contexts: [],
    // The audit chain head goes with the deployment: an anchor the database owner cannot rewrite.
    payload: { ...m.payload, ...(anchor ? { audit_anchor: { seq: anchor.seq, hash: anchor.hash } } : {}) },
    description: `Promotion #${m.pullRequest} to ${m.stage.name}`.slice(0, 140),
    production_environment: m.finalStage,
    transient_environment: false,
    request: { retries: 0 },
  });
}
