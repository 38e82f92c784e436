import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { deploymentStatusRecords, type DeploymentStatusEvent } from '../../app/deployment-status.js';
import { csvHeader, csvLine, exportRows, type ExportRow } from '../../src/audit/export.js';
import { mergeApprovalKey, protectionApprovalKey, type AuditDatabase, type TypedAuditEvent } from '../../src/audit/types.js';
import type { VerificationVerdict } from '../../src/protocol/evidence.js';
import { statusDescription } from '../../src/protocol/status.js';
import { valuesDescription, verificationValues } from '../../src/protocol/verification-values.js';
import { parseCsvLine } from '../helpers/csv.js';
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

/** GitHub's record of the protected run 9001 (completed, successful). */
const RUN_9001 = {
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

  it('verification values: the checks the protected run wrote in its statuses are exported (JSON and CSV); a forged claim is ignored, a second set makes them unrecorded, saying why', async () => {
    await store.append(approved());
    await store.append(reviewed(555, 9001, 'approved', '2026-11-10T10:01:00Z'));
    const run = { ...RUN_9001 };
    const own = { logUrl: run.htmlUrl, targetUrl: null, creator: 'github-actions[bot]', performedViaApp: { id: 15368, slug: 'github-actions' } };
    const smoke = { kind: 'http', name: 'health', verdict: 'pass', observed: 'HTTP 200', threshold: 'status 200' } as const;
    const metric = { kind: 'metric', name: '5xx ratio', verdict: 'pass', observed: 'max 0.002 (3 samples)', threshold: '≤ 0.01' } as const;
    const statuses = [
      { id: 1, state: 'in_progress', description: valuesDescription(smoke, 1, 2), createdAt: '2026-11-10T10:05:00Z', ...own },
      { id: 2, state: 'in_progress', description: valuesDescription(metric, 2, 2), createdAt: '2026-11-10T10:08:00Z', ...own },
      // A writer's claim, in the run's name but through their own token: not evidence.
      { id: 3, state: 'in_progress', description: valuesDescription({ ...metric, observed: 'max 0.000' }, 2, 2), createdAt: '2026-11-10T10:08:30Z', ...own, creator: 'mallory', performedViaApp: null },
    ];
    const e = statusEvent(555, MERGE, 'success', 'success: ok (verified 2 checks)', '2026-11-10T10:09:00Z');
    const decisive = { id: e.status.id, state: 'success', description: e.status.description, createdAt: e.status.created_at, ...own };
    const values = verificationValues([...statuses, decisive], { runId: run.id, completedAt: run.updatedAt, repository: REPO });
    for (const r of deploymentStatusRecords(e, { kind: 'verified', status: decisive, run, verifiedAt: run.updatedAt, values })) await store.append(r);
    const [row] = await rows(store);
    expect(row!.verification).toMatchObject({
      valuesWhy: null,
      checks: [
        { ...smoke, index: 1, statusId: 1, at: '2026-11-10T10:05:00Z' },
        { ...metric, index: 2, statusId: 2, at: '2026-11-10T10:08:00Z' },
      ],
    });
    const header = csvHeader().trim().split(',');
    const cells = parseCsvLine(csvLine(row!));
    expect(cells).toHaveLength(header.length);
    expect(cells[header.indexOf('verification_values')]).toBe('http health: pass, observed HTTP 200, threshold status 200; metric 5xx ratio: pass, observed max 0.002 (3 samples), threshold ≤ 0.01');
    expect(cells[header.indexOf('verification_values_note')]).toBe('');

    // A second status in the run's own name claiming check 2: ambiguous; nothing is recorded, and the note says why.
    const again = statusEvent(556, MERGE, 'success', 'success: ok (verified 2 checks)', '2026-11-10T10:09:00Z');
    const ambiguous = verificationValues([...statuses, { ...statuses[1]!, id: 4, description: valuesDescription({ ...metric, observed: 'max 0.000' }, 2, 2) }], {
      runId: run.id,
      completedAt: run.updatedAt,
      repository: REPO,
    });
    await store.append(reviewed(556, 9001, 'approved', '2026-11-10T10:01:30Z'));
    for (const r of deploymentStatusRecords(again, { kind: 'verified', status: { ...decisive, id: again.status.id }, run, verifiedAt: run.updatedAt, values: ambiguous })) await store.append(r);
    const second = (await rows(store)).find((r) => r.deploymentId === '556')!;
    expect(second.verification?.checks).toEqual([]);
    expect(second.verification?.valuesWhy).toMatch(
      /^more than one status in run 9001's name claims check 2 of 2: ambiguous, not recorded \(1 values status\(es\) not written by run 9001 were ignored\)$/,
    );
    expect(parseCsvLine(csvLine(second))[header.indexOf('verification_values_note')]).toBe(second.verification!.valuesWhy);
  });

  it('fails, naming the record, when an approved protection rule has no merge.approved to take the decision from', async () => {
    await store.append(reviewed(556, 9003, 'approved', '2026-11-10T10:01:00Z'));
    await expect(rows(store)).rejects.toThrow(/seq 1 \(protection_rule\.reviewed\) approved deployment 556, but its merge\.approved record is missing/);
  });
});
