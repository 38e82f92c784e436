import { promotionCommitsKey, type AuditEventInput, type TypedAuditEvent } from '../../src/audit/types.js';

const sha = (c: string): string => c.repeat(40).slice(0, 40);

/** Commit SHAs used by the scenario. */
export const SHA = { b1: sha('b'), h1: sha('1'), p0: sha('0'), h3: sha('3'), m3: sha('m'), api: sha('a') };

type Ev = TypedAuditEvent;

function base(
  key: string,
  repository: string,
  stage: string,
  pr: number | null,
  baseSha: string | null,
  headSha: string | null,
  actor: string | null,
  at: string,
): Omit<AuditEventInput, 'kind' | 'details'> {
  return { key, repository, stage, pullRequest: pr, baseSha, headSha, actor, at };
}

/**
 * Three promotions of acme/shop (a staging deploy that verifies, a production deploy that fails
 * and is rolled back, a staging merge that bypassed the gate) and one deploy of acme/api, as the
 * app and the Action record them.
 */
export function scenarioEvents(): Ev[] {
  const shop = 'acme/shop';
  const commits = [
    {
      sha: sha('c'),
      author: { login: 'alice', name: 'Alice A', email: 'alice@example.com' },
      committer: { login: 'alice', name: 'Alice A', email: 'alice@example.com' },
      coAuthors: [{ login: null, name: 'Carol C', email: 'carol@example.com' }],
      pushers: ['alice'],
      verification: { verified: true, reason: 'valid' },
    },
    {
      sha: sha('d'),
      author: { login: 'bob', name: 'Bob B', email: 'bob@example.com' },
      committer: { login: 'web-flow', name: 'GitHub', email: 'noreply@github.com' },
      coAuthors: [],
      verification: { verified: false, reason: 'unsigned' },
    },
  ];
  const p1 = (key: string, actor: string | null, at: string) => base(key, shop, 'staging', 11, SHA.b1, SHA.h1, actor, at);
  const p2 = (key: string, actor: string | null, at: string) => base(key, shop, 'production', 12, SHA.p0, SHA.h1, actor, at);
  const p3 = (key: string, actor: string | null, at: string) => base(key, shop, 'staging', 13, SHA.h1, SHA.h3, actor, at);
  return [
    {
      ...p1(promotionCommitsKey(shop, 11, SHA.h1), 'stagegate[bot]', '2026-11-02T09:00:00Z'),
      kind: 'promotion.commits',
      details: { commits },
    },
    {
      ...p1('d-1:gate.result', 'stagegate[bot]', '2026-11-02T09:00:01Z'),
      kind: 'gate.result',
      details: { state: 'blocked', conclusion: 'failure', rules: [{ id: 'signoff', state: 'blocked', reason: '0 of 1 approvals' }] },
    },
    {
      ...p1('d-2:approval:501', 'alice', '2026-11-02T09:10:00Z'),
      kind: 'approval.refused',
      details: { login: 'alice', reviewId: 501, commitId: SHA.h1, submittedAt: '2026-11-02T09:10:00Z', refusal: 'author' },
    },
    {
      ...p1('d-3:approval:502', 'dave', '2026-11-02T09:20:00Z'),
      kind: 'approval.counted',
      details: { login: 'dave', reviewId: 502, commitId: SHA.h1, submittedAt: '2026-11-02T09:20:00Z' },
    },
    {
      ...p1('d-3:gate.result', 'stagegate[bot]', '2026-11-02T09:20:01Z'),
      kind: 'gate.result',
      details: { state: 'passed', conclusion: 'success', rules: [{ id: 'signoff', state: 'passed', reason: '1 of 1 approvals' }] },
    },
    {
      ...p1('deployment:101:created', 'erin', '2026-11-02T09:30:00Z'),
      kind: 'deployment.created',
      details: {
        deploymentId: 101,
        environment: 'staging',
        sha: SHA.h1,
        mergedBy: 'erin',
        approvers: [{ login: 'dave', submittedAt: '2026-11-02T09:20:00Z', commitId: SHA.h1 }],
        refused: [{ login: 'alice', refusal: 'author', commitId: SHA.h1, submittedAt: '2026-11-02T09:10:00Z' }],
        gateState: 'passed',
        commitCount: 2,
        authors: ['alice', 'bob', 'Carol C'],
        pullRequestTitle: 'Promote master to staging',
        pullRequestUrl: 'https://github.com/acme/shop/pull/11',
        policy: { path: '.github/stagegate.yml', ref: SHA.b1, blobSha: sha('f'), fellBack: false, extendsFrom: 'acme/.github:.github/stagegate.yml', extendsBlobSha: sha('e') },
        rules: [
          { id: 'approvals', title: 'Approvals', state: 'passed', reason: '1 of 1 approvals of the head' },
          { id: 'required-checks', title: 'Required checks', state: 'passed', reason: 'build succeeded on 1111111' },
        ],
        requiredChecks: [{ name: 'build', source: 'check_run', app: 'acme-ci', status: 'completed', conclusion: 'success', url: 'https://github.com/acme/shop/runs/77', at: '2026-11-02T08:50:00Z' }],
      },
    },
    {
      ...p1('deployment:101:dispatched', 'stagegate[bot]', '2026-11-02T09:30:01Z'),
      kind: 'deployment.dispatched',
      details: { deploymentId: 101, workflow: 'stagegate-deploy.yml', ref: 'staging', inputs: { deployment_id: '101' } },
    },
    {
      ...p1('deployment:101:status:1', 'stagegate-action', '2026-11-02T09:31:00Z'),
      kind: 'deployment.status',
      details: { deploymentId: 101, statusId: 1, state: 'in_progress', description: 'deploying', logUrl: null, environmentUrl: null },
    },
    {
      ...p1('deployment:101:status:2', 'stagegate-action', '2026-11-02T09:45:00Z'),
      kind: 'deployment.status',
      details: {
        deploymentId: 101,
        statusId: 2,
        state: 'success',
        description: 'verified, 2 smoke tests, 1 metric check',
        logUrl: 'https://github.com/acme/shop/actions/runs/1',
        environmentUrl: 'https://staging.example.com',
      },
    },
    {
      ...p1('deployment:101:verification', 'stagegate-action', '2026-11-02T09:45:00Z'),
      kind: 'verification.result',
      details: { deploymentId: 101, result: 'success', reasonCode: null, description: '2/2 smoke, 1/1 metrics' },
    },
    {
      ...p2(promotionCommitsKey(shop, 12, SHA.h1), 'stagegate[bot]', '2026-11-04T08:00:00Z'),
      kind: 'promotion.commits',
      details: { commits },
    },
    {
      ...p2('deployment:102:created', 'frank', '2026-11-04T10:00:00Z'),
      kind: 'deployment.created',
      details: {
        deploymentId: 102,
        environment: 'production',
        sha: SHA.h1,
        mergedBy: 'frank',
        approvers: [
          { login: 'anna', submittedAt: '2026-11-04T09:00:00Z', commitId: SHA.h1 },
          { login: 'dave', submittedAt: '2026-11-04T09:05:00Z', commitId: SHA.h1 },
        ],
        refused: [],
        gateState: 'passed',
        commitCount: 2,
        authors: ['alice', 'bob', 'Carol C'],
      },
    },
    {
      ...p2('deployment:102:status:1', 'stagegate-action', '2026-11-04T10:12:00Z'),
      kind: 'deployment.status',
      details: { deploymentId: 102, statusId: 1, state: 'failure', description: '5xx ratio 0.04 > 0.01', logUrl: null, environmentUrl: null },
    },
    {
      ...p2('deployment:102:verification', 'stagegate-action', '2026-11-04T10:12:00Z'),
      kind: 'verification.result',
      details: { deploymentId: 102, result: 'rolled_back', reasonCode: 'metric-threshold', description: '5xx ratio, "too high", 0.04' },
    },
    {
      ...p2('deployment:102:rollback', 'stagegate-action', '2026-11-04T10:15:00Z'),
      kind: 'rollback',
      details: { deploymentId: 102, rollbackDeploymentId: 103, sha: SHA.p0, state: 'success' },
    },
    {
      ...p2('deployment:103:status:1', 'stagegate-action', '2026-11-04T10:16:00Z'),
      kind: 'deployment.status',
      details: { deploymentId: 103, statusId: 1, state: 'success', description: 'rollback', logUrl: null, environmentUrl: null },
    },
    {
      ...base('deployment:201:created', 'acme/api', 'staging', 5, SHA.api, SHA.h3, 'gina', '2026-11-05T08:00:00Z'),
      kind: 'deployment.created',
      details: {
        deploymentId: 201,
        environment: 'staging',
        sha: SHA.h3,
        mergedBy: 'gina',
        approvers: [],
        refused: [],
        gateState: 'passed',
        commitCount: 1,
        authors: ['gina'],
      },
    },
    {
      ...p3('d-9:merge.bypassed', 'root-admin', '2026-11-06T12:00:00Z'),
      kind: 'merge.bypassed',
      details: { mergeCommitSha: SHA.m3, mergedBy: 'root-admin', gateState: 'blocked', reasons: ['signoff: 0 of 1 approvals', 'checks: test failed'] },
    },
  ];
}
