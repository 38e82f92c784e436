import { describe, expect, it } from '@jest/globals';
import type { CheckResult, DeployAttempt, DeploymentReport } from '../../src/deploy/types.js';
import { deploymentMarker } from '../../src/protocol/markers.js';
import { statusDescription } from '../../src/protocol/status.js';
import { cell, renderDeployReport, renderJobSummary } from '../../src/render/deploy-report.js';
import { GITHUB_TEXT_LIMIT } from '../../src/render/limits.js';

const SHA = '1234567890abcdef1234567890abcdef12345678';
const PREV = 'fedcba0987654321fedcba0987654321fedcba09';

function check(name: string, verdict: 'pass' | 'fail', extra: Partial<CheckResult> = {}): CheckResult {
  return {
    kind: 'http',
    name,
    verdict,
    observed: verdict === 'pass' ? 'HTTP 200' : 'HTTP 500',
    threshold: 'status 200',
    durationMs: 1500,
    evidence: { url: 'https://x/healthz', status: 500, bodyHead: 'oops', attempts: 2 },
    ...(verdict === 'fail' ? { reason: 'status 500, expected 200' } : {}),
    ...extra,
  };
}

function attempt(extra: Partial<DeployAttempt> = {}): DeployAttempt {
  return {
    deploymentId: 11,
    sha: SHA,
    deploy: { exitCode: 0, signal: null, timedOut: false, durationMs: 65_000, outputTail: 'done' },
    smoke: [check('health', 'pass')],
    metrics: [],
    reasonCode: 'ok',
    message: 'ok',
    ...extra,
  };
}

function report(extra: Partial<DeploymentReport> = {}): DeploymentReport {
  return {
    version: 1,
    result: 'success',
    reasonCode: 'ok',
    message: 'ok',
    dryRun: false,
    mode: 'dispatch',
    repository: 'acme/shop',
    environment: 'staging',
    sha: SHA,
    deploymentId: 11,
    pullRequest: 5,
    previousSha: PREV,
    environmentUrl: 'https://staging.example.com',
    deployTimeout: '30m',
    runUrl: 'https://github.com/acme/shop/actions/runs/1',
    compareUrl: `https://github.com/acme/shop/compare/${PREV}...${SHA}`,
    attempt: attempt(),
    rollback: null,
    rollbackSkipped: null,
    startedAt: '2026-01-01T00:00:00Z',
    finishedAt: '2026-01-01T00:01:10Z',
    durationMs: 70_000,
    warnings: [],
    ...extra,
  };
}

describe('renderDeployReport', () => {
  it('success: marker first, heading, links, and the table with check, observed, threshold, verdict, duration', () => {
    const md = renderDeployReport(report());
    const lines = md.split('\n');
    expect(lines[0]).toBe('<!-- stagegate:deployment:11 -->');
    expect(lines[1]).toBe('### ✅ Deployed `1234567` to **staging**: all checks passed');
    expect(md).toContain('[workflow run](https://github.com/acme/shop/actions/runs/1) · changes: [`fedcba0...1234567`](https://github.com/acme/shop/compare/');
    expect(md).toContain(
      '| Check | Observed | Threshold | Verdict | Duration |\n| --- | --- | --- | --- | --- |\n| deploy command | exit 0 | exit 0 within 30m | ✅ pass | 1m 5s |\n| smoke: health | HTTP 200 | status 200 | ✅ pass | 2s |',
    );
    expect(md).toContain('Environment: https://staging.example.com');
  });

  it('rollback: both tables, what was rolled back, and evidence of the failed check', () => {
    const failed = attempt({ smoke: [check('health', 'fail')], reasonCode: 'smoke-failed', message: 'health: status 500, expected 200' });
    const md = renderDeployReport(
      report({
        result: 'rolled_back',
        reasonCode: 'smoke-failed',
        message: 'health: status 500, expected 200',
        attempt: failed,
        rollback: { fromSha: SHA, toSha: PREV, previousDeploymentId: 7, attempt: attempt({ deploymentId: 12, sha: PREV }), succeeded: true, message: 'ok' },
      }),
    );
    expect(md).toContain('### ↩️ Deploy of `1234567` to **staging** failed (smoke-failed); rolled back to `fedcba0`');
    expect(md).toContain('**Reason:** `smoke-failed`: health: status 500, expected 200');
    expect(md).toContain('#### ↩️ Rollback: `1234567` → `fedcba0`');
    expect(md).toContain('Rolled back the changes [`fedcba0...1234567`](https://github.com/acme/shop/compare/');
    expect(md).toContain('redeployed `fedcba0987654321fedcba0987654321fedcba09` (last good deployment 7); as deployment 12.');
    expect(md.match(/\| Check \| Observed/g)).toHaveLength(2);
    expect(md).toContain('<details><summary>smoke <b>health</b>: status 500, expected 200</summary>');
    expect(md).toContain('```\noops\n```');
  });

  it('a failed rollback is loud', () => {
    const md = renderDeployReport(
      report({
        result: 'failure',
        reasonCode: 'rollback-failed',
        rollback: { fromSha: SHA, toSha: PREV, previousDeploymentId: 7, attempt: null, succeeded: false, message: 'could not create the rollback deployment: HTTP 500' },
      }),
    );
    expect(md).toContain('### 🚨 ROLLBACK FAILED: **staging** is in an unknown state.');
    expect(md).toContain('#### 🚨 Rollback FAILED');
    expect(md).toContain('**could not create the rollback deployment: HTTP 500**');
    expect(md).toContain('Tried to roll back the changes');
    expect(md).not.toContain('Rolled back the changes');
  });

  it('the changes link says when there is no range', () => {
    expect(renderDeployReport(report({ previousSha: null, compareUrl: null }))).toContain('changes: first deployment to this environment');
    expect(renderDeployReport(report({ previousSha: SHA, compareUrl: null }))).toContain('changes: none (redeploy of the commit already running)');
  });

  it('cells cannot break the table', () => {
    expect(cell('a|b\nc `d`')).toBe("a\\|b c 'd'");
    expect(cell('x'.repeat(500)).length).toBe(160);
  });

  it("a huge report fits GitHub's comment limit, keeps the marker and the table, and says what was left out", () => {
    const smoke = Array.from({ length: 120 }, (_, i) =>
      check(`check-${i}`, 'fail', { kind: 'command', evidence: { command: 'npm run e2e', exitCode: 1, outputTail: 'E'.repeat(2000), attempts: 1 }, reason: 'exit 1' }),
    );
    const md = renderDeployReport(report({ result: 'failure', reasonCode: 'smoke-failed', attempt: attempt({ smoke }) }));
    expect(md.length).toBeLessThanOrEqual(GITHUB_TEXT_LIMIT);
    expect(md.startsWith(deploymentMarker(11))).toBe(true);
    expect(md).toContain('| smoke (command): check-119 |');
    expect(md).toMatch(/_\d+ evidence sections left out to fit GitHub's size limit; the full report is the action's `report` output._$/);
    // No code fence is left open.
    expect((md.match(/^```/gm) ?? []).length % 2).toBe(0);
  });

  it('the job summary is the same report without the marker', () => {
    const s = renderJobSummary(report());
    expect(s).not.toContain('<!--');
    expect(s).toContain('| smoke: health | HTTP 200 |');
  });
});

describe('statusDescription', () => {
  it('starts with result and reason code and never exceeds 140 characters', () => {
    expect(statusDescription('failure', 'metrics-failed', '5xx ratio 0.12 > 0.01')).toBe('failure: metrics-failed (5xx ratio 0.12 > 0.01)');
    const long = statusDescription('failure', 'smoke-failed', 'x'.repeat(300));
    expect(long.length).toBe(140);
    expect(long.startsWith('failure: smoke-failed (xxx')).toBe(true);
  });
});
