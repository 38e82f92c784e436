import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { deploymentStatusRecords, type DeploymentStatusEvent } from '../../app/deployment-status.js';
import { csvHeader, csvLine, exportRows, type ExportRow } from '../../src/audit/export.js';
import { mergeApprovalKey, protectionApprovalKey, type AuditDatabase, type TypedAuditEvent } from '../../src/audit/types.js';
import type { VerificationVerdict } from '../../src/protocol/evidence.js';
import { statusDescription } from '../../src/protocol/status.js';
import { storeBackends, type FreshStore } from './stores.js';

// Export rows beyond `deployment.created`: protection-rule mode (GitHub's job deployment, the
// decision from `merge.approved`) and refusals (the Action's preflight, a rejected protection rule).

const REPO = 'acme/shop';
const REFUSED = statusDescription('failure', 'not-approved', 'deployment 777 was not created by Stagegate');
const sha = (c: string): string => c.repeat(40).slice(0, 40);
const MERGE = sha('m');
const HEAD = sha('h');
const BASE = sha('b');
const common = { repository: REPO, stage: 'production', pullRequest: 21, baseSha: BASE, headSha: HEAD };

function approved(): TypedAuditEvent {
  return {
    ...common,
    key: mergeApprovalKey(REPO, 'production', MERGE),
    actor: 'carol',
    at: '2026-11-10T10:00:00Z',
    kind: 'merge.approved',
    details: {
      mergeCommitSha: MERGE,
      mode: 'protection_rule',
      policy: { stage: 'production', workflow: { path: 'stagegate-deploy.yml', ref: 'production' } },
      stage: { name: 'production', branch: 'production' },
      approvers: [{ login: 'dave', commit: HEAD, at: '2026-11-10T09:50:00Z' }],
      evidence: {
        mergedBy: 'carol',
        approvers: [{ login: 'dave', submittedAt: '2026-11-10T09:50:00Z', commitId: HEAD }],
        refused: [{ login: 'alice', refusal: 'author', commitId: HEAD, submittedAt: '2026-11-10T09:40:00Z' }],
        gateState: 'passed',
        commitCount: 1,
        authors: ['alice'],
        pullRequestTitle: 'Promote staging to production',
        pullRequestUrl: 'https://github.com/acme/shop/pull/21',
        policy: { path: '.github/stagegate.yml', ref: BASE, blobSha: sha('f'), fellBack: false, extendsFrom: null, extendsBlobSha: null },
        rules: [{ id: 'signoff', title: 'Sign-off', state: 'passed', reason: '1 of 1 approvals' }],
        requiredChecks: [],
      },
    },
  };
}

function reviewed(deploymentId: number, runId: number, state: 'approved' | 'rejected', at: string, who = 'carol', commit = MERGE): TypedAuditEvent {
  return {
    ...common,
    ...(state === 'rejected' ? { pullRequest: null, baseSha: null, headSha: commit } : {}),
    key: state === 'approved' ? protectionApprovalKey(REPO, deploymentId) : `protection:${REPO}:${deploymentId}:rejected:${runId}`,
    actor: who,
    at,
    kind: 'protection_rule.reviewed',
    details: {
      deploymentId,
      runId,
      environment: 'production',
      sha: commit,
      state,
      reason: state === 'approved' ? 'passed its gate' : `${commit.slice(0, 7)} is not the merge commit of a promotion to production whose gate was green`,
    },
  };
}

/** A status event as GitHub sends it for the job's deployment (made by GitHub Actions). */
function statusEvent(deploymentId: number, commit: string, state: string, description: string, at: string, creator = 'github-actions'): DeploymentStatusEvent {
  return {
    repository: REPO,
    deployment: { id: deploymentId, sha: commit, environment: 'production', payload: {}, creator: { login: creator }, performed_via_github_app: { id: 15368, slug: 'github-actions' } },
    status: { id: deploymentId * 10 + at.length, state, description, log_url: `https://github.com/${REPO}/actions/runs/9001`, creator: { login: 'github-actions[bot]' }, created_at: at },
  };
}

async function rows(store: AuditDatabase): Promise<ExportRow[]> {
  const out: ExportRow[] = [];
  for await (const r of exportRows(store, { repository: REPO })) out.push(r);
  return out;
}

describe.each(storeBackends())('audit export row kinds: %s', (_name, backend) => {
  let fresh: FreshStore;
  let store: AuditDatabase;
  beforeAll(() => backend.start(), 60_000);
  afterAll(() => backend.stop());
  beforeEach(async () => {
    fresh = await backend.fresh();
    store = await fresh.open();
  });
  afterEach(() => store.close());

  it('protection-rule mode: one deployment row for GitHub’s job deployment, with the decision recorded at the merge', async () => {
    await store.append(approved());
    await store.append(reviewed(555, 9001, 'approved', '2026-11-10T10:01:00Z'));
    const e = statusEvent(555, MERGE, 'success', 'success: ok (verified: 1 smoke test)', '2026-11-10T10:09:00Z');
    const run = {
      id: 9001,
      repository: REPO,
      path: '.github/workflows/stagegate-deploy.yml',
      headBranch: 'production',
      headSha: MERGE,
      event: 'workflow_dispatch',
      status: 'completed',
      conclusion: 'success',
      displayTitle: null,
      updatedAt: '2026-11-10T10:09:30Z',
      htmlUrl: `https://github.com/${REPO}/actions/runs/9001`,
    };
    const status = {
      id: e.status.id,
      state: 'success',
      description: e.status.description,
      logUrl: e.status.log_url ?? null,
      targetUrl: null,
      createdAt: e.status.created_at,
      creator: 'github-actions[bot]',
      performedViaApp: { id: 15368, slug: 'github-actions' },
    };
    const verdict: VerificationVerdict = { kind: 'verified', status, run, verifiedAt: run.updatedAt };
    for (const r of deploymentStatusRecords(e, verdict)) await store.append(r);
    const [row, ...rest] = await rows(store);
    expect(rest).toEqual([]);
    expect(row).toMatchObject({
      kind: 'deployment',
      deploymentId: '555',
      sha: MERGE,
      mergedBy: 'carol',
      pullRequest: 21,
      range: `${BASE}..${HEAD}`,
      pullRequestTitle: 'Promote staging to production',
      gateState: 'passed',
      commitCount: 1,
      approvals: [{ login: 'dave', commitId: HEAD }],
      refusedApprovals: [{ login: 'alice', refusal: 'author' }],
      policy: { path: '.github/stagegate.yml', blobSha: sha('f') },
      statuses: [{ state: 'success' }],
      verification: { result: 'success', trusted: true, runUrl: `https://github.com/${REPO}/actions/runs/9001` },
      refusal: null,
      at: '2026-11-10T10:01:00.000Z',
    });
  });

  it('refusals: the Action’s preflight refusal and a rejected protection rule are rows of their own, naming who asked and why', async () => {
    const forged = sha('x');
    for (const r of deploymentStatusRecords(statusEvent(777, forged, 'error', REFUSED, '2026-11-11T08:00:00Z', 'mallory'), null)) await store.append(r);
    await store.append(reviewed(778, 9002, 'rejected', '2026-11-11T08:05:00Z', 'mallory', forged));
    const refused = await rows(store);
    expect(refused.map((r) => [r.kind, r.deploymentId, r.sha, r.refusal])).toEqual([
      ['refused', '777', forged, { by: 'action', reasonCode: 'not-approved', reason: REFUSED, requestedBy: 'mallory', runId: null }],
      [
        'refused',
        '778',
        forged,
        { by: 'protection-rule', reasonCode: null, reason: `${forged.slice(0, 7)} is not the merge commit of a promotion to production whose gate was green`, requestedBy: 'mallory', runId: 9002 },
      ],
    ]);
    expect(refused.every((r) => r.approvals.length === 0 && r.verification === null && !r.bypass)).toBe(true);
    const header = csvHeader().trim().split(',');
    const line = csvLine(refused[0]!).trim().split(',');
    const cell = (c: string) => line[header.indexOf(c)];
    expect([cell('row_kind'), cell('refused_by'), cell('refusal_reason_code'), cell('refused_deployment_requested_by')]).toEqual(['refused', 'action', 'not-approved', 'mallory']);
  });

  it('fails, naming the record, when an approved protection rule has no merge.approved to take the decision from', async () => {
    await store.append(reviewed(556, 9003, 'approved', '2026-11-10T10:01:00Z'));
    await expect(rows(store)).rejects.toThrow(/seq 1 \(protection_rule\.reviewed\) approved deployment 556, but its merge\.approved record is missing/);
  });
});
