import { describe, expect, it } from '@jest/globals';
import { configSchema } from '../../src/config/schema.js';
import { parseDeploymentPayload, promotionPayload, workflowPath } from '../../src/protocol/deployment-payload.js';
import { dispatchInputs, parseRunName, runName, RUN_NAME_EXPRESSION, RUN_NAME_EXPRESSION_PROTECTED } from '../../src/protocol/dispatch.js';
import { botLogin, deploymentMarker, GATE_MARKER, isOwnComment, MERGE_MARKER } from '../../src/protocol/markers.js';
import { claimsVerified, fitDescription, parseStatusDescription, REASON_CODE_LIST, rollbackSucceededDescription, statusDescription, verifiedDescription } from '../../src/protocol/status.js';

const SHA = '0123456789abcdef0123456789abcdef01234567';
const HEAD = 'a'.repeat(40);
const BASE = 'b'.repeat(40);

const stage = configSchema.parse({
  stages: [
    {
      name: 'staging',
      branch: 'staging',
      from: 'master',
      deploy: { command: './deploy.sh', timeout: '5m', url: 'https://staging.example.com' },
      verify: { smoke: [{ name: 'health', url: 'https://staging.example.com/healthz' }], metrics: { url: 'http://prom:9090', checks: [{ name: '5xx', query: 'q', max: 0.01 }] } },
      auto_rollback: false,
      rollback: { command: './rollback.sh' },
      windows: [{ days: ['mon'], hours: '09:00-16:00', timezone: 'Europe/Berlin' }],
    },
  ],
}).stages[0]!;

describe('deployment payloads', () => {
  it('a promotion payload round-trips through JSON, carrying the approving stage policy and no more', () => {
    const p = promotionPayload({
      stage,
      pullRequest: 12,
      base: BASE,
      head: HEAD,
      mergeCommit: SHA,
      approvers: [{ login: 'bob', commit: HEAD, at: '2026-11-24T09:00:00Z' }],
      source: { ref: BASE, path: '.github/stagegate.yml', fellBack: true, extendsFrom: 'acme/.github' },
      workflow: { file: 'stagegate-deploy.yml', ref: 'staging' },
    });
    const back = parseDeploymentPayload(JSON.stringify(p));
    expect(back).toEqual({ kind: 'promotion', payload: p });
    expect(p.policy.stage).toEqual({ name: 'staging', branch: 'staging', from: 'master', deploy: stage.deploy, verify: stage.verify, auto_rollback: false, rollback: { command: './rollback.sh' } });
    expect(p.policy.stage).not.toHaveProperty('windows');
    expect(p.policy.workflow).toEqual({ path: '.github/workflows/stagegate-deploy.yml', ref: 'staging' });
    expect(p.policy.source).toEqual({ ref: BASE, path: '.github/stagegate.yml', fell_back: true, extends_from: 'acme/.github' });
  });

  it('a rollback payload round-trips; fields a newer app adds are ignored', () => {
    const r = { stagegate: 1, kind: 'rollback', stage: 'staging', pull_request: null, rollback_of: 7, target_deployment: 5 };
    expect(parseDeploymentPayload({ ...r, added_later: true })).toEqual({ kind: 'rollback', payload: r });
  });

  it.each<[string, unknown, string]>([
    ['a string that is no JSON', '{nope', 'not a JSON object'],
    ['an older payload without a version', { stage: 'staging', pull_request: 12, head: HEAD }, 'no `stagegate` version'],
    ['a short merge commit', { ...promotionPayloadOf(), merge_commit: 'abc1234' }, 'merge_commit: must be a 40-character commit SHA'],
    ['a workflow outside .github/workflows', { ...promotionPayloadOf(), policy: { ...promotionPayloadOf().policy, workflow: { path: 'evil.yml', ref: 'staging' } } }, 'policy.workflow.path'],
  ])('%s is invalid and says why', (_n, payload, why) => {
    const r = parseDeploymentPayload(payload);
    expect(r.kind).toBe('invalid');
    expect(r.kind === 'invalid' && r.why).toContain(why);
  });

  it('no payload (GitHub’s {} or an empty string) is not Stagegate’s', () => {
    expect(parseDeploymentPayload({})).toEqual({ kind: 'none' });
    expect(parseDeploymentPayload('')).toEqual({ kind: 'none' });
    expect(workflowPath('deploy.yml')).toBe('.github/workflows/deploy.yml');
    expect(workflowPath('.github/workflows/deploy.yml')).toBe('.github/workflows/deploy.yml');
  });
});

function promotionPayloadOf() {
  return promotionPayload({
    stage,
    pullRequest: 1,
    base: BASE,
    head: HEAD,
    mergeCommit: SHA,
    approvers: [],
    source: { ref: BASE, path: '.github/stagegate.yml', fellBack: false },
    workflow: { file: 'd.yml', ref: 'staging' },
  });
}

describe('status description grammar', () => {
  it.each(REASON_CODE_LIST)('%s round-trips', (code) => {
    const d = statusDescription('failure', code, 'some detail (with parentheses)');
    expect(parseStatusDescription(d)).toEqual({ result: 'failure', code, detail: 'some detail (with parentheses)' });
  });

  it('cuts at 140 characters keeping the closing parenthesis; any description fits in one line', () => {
    const d = statusDescription('failure', 'smoke-failed', 'x'.repeat(300));
    expect(d).toHaveLength(140);
    expect(d.endsWith('…)')).toBe(true);
    expect(fitDescription(`a\n${'b'.repeat(200)}`)).toHaveLength(140);
  });

  it('a verified claim names the commit; a rollback’s success and other tools’ texts are no such claim', () => {
    expect(verifiedDescription(SHA)).toBe('success: ok (verified 0123456)');
    expect(claimsVerified(verifiedDescription(SHA), SHA)).toBe(true);
    expect(claimsVerified(verifiedDescription(SHA), HEAD)).toBe(false);
    expect(claimsVerified(rollbackSucceededDescription(7, SHA))).toBe(false);
    expect(claimsVerified('Deployed by the platform')).toBe(false);
    expect(parseStatusDescription('success: made-up-code')).toBeNull();
  });
});

describe('dispatch inputs and run names', () => {
  it('the run name of a dispatch parses back to what it deploys, in both modes', () => {
    expect(parseRunName(runName({ deploymentId: 42, sha: SHA, environment: 'production' }))).toEqual({ deploymentId: 42, sha: SHA, environment: 'production' });
    expect(parseRunName(runName({ deploymentId: null, sha: SHA, environment: 'production' }))).toEqual({ deploymentId: null, sha: SHA, environment: 'production' });
    expect(parseRunName('stagegate-deploy')).toBeNull();
    expect(parseRunName(`stagegate: deploy ${SHA.slice(0, 7)} to production`)).toBeNull();
  });

  it('the documented run-name expressions produce exactly the run names (substituting the inputs)', () => {
    const inputs = dispatchInputs({ environment: 'staging', sha: SHA, deploymentId: 7, pullRequest: 3 });
    expect(inputs).toEqual({ environment: 'staging', sha: SHA, deployment_id: '7', pull_request: '3' });
    const expand = (expr: string, i: Record<string, string>) => expr.replace(/\$\{\{ inputs\.(\w+) \}\}/g, (_m, k: string) => i[k] ?? '');
    expect(expand(RUN_NAME_EXPRESSION, { ...inputs })).toBe(runName({ deploymentId: 7, sha: SHA, environment: 'staging' }));
    const protectedInputs = dispatchInputs({ environment: 'staging', sha: SHA, deploymentId: null, pullRequest: 3 });
    expect(expand(RUN_NAME_EXPRESSION_PROTECTED, { ...protectedInputs })).toBe(runName({ deploymentId: null, sha: SHA, environment: 'staging' }));
  });
});

describe('comment markers and identity', () => {
  it('a comment is ours only with the marker and our own login', () => {
    const body = `${deploymentMarker(7)}\nreport`;
    expect(isOwnComment({ body, user: { login: 'github-actions[bot]' } }, deploymentMarker(7), 'github-actions[bot]')).toBe(true);
    expect(isOwnComment({ body, user: { login: 'mallory' } }, deploymentMarker(7), 'github-actions[bot]')).toBe(false);
    expect(isOwnComment({ body: 'no marker', user: { login: 'stagegate[bot]' } }, GATE_MARKER, botLogin('stagegate'))).toBe(false);
    expect(isOwnComment({ body: `${MERGE_MARKER}`, user: { login: 'Stagegate[bot]' } }, MERGE_MARKER, botLogin('stagegate'))).toBe(true);
  });
});
