import { describe, expect, it } from '@jest/globals';
import { fakeCheck, fakeFacts, type FakeFactsInput } from '../../src/facts/fake.js';
import type { CheckFact } from '../../src/facts/types.js';
import type { RuleState } from '../../src/gate/types.js';
import { requiredChecksRule } from '../../src/rules/required-checks.js';
import { HEAD, OLD, ctxOf, productConfig } from './support.js';

const at = (min: number): string => new Date(Date.UTC(2026, 10, 24, 8, min)).toISOString();
const ok = (name: string, min = 0): CheckFact => fakeCheck(name, 'completed', 'success', at(min));

describe('required checks (production: build, test)', () => {
  it.each<[string, CheckFact[], RuleState, string]>([
    ['both succeeded', [ok('build'), ok('test')], 'passed', 'build, test succeeded on 5d6e7f8'],
    ['the newest run wins: a later success after a failure', [fakeCheck('build', 'completed', 'failure', at(1)), ok('build', 2), ok('test')], 'passed', 'build, test succeeded on 5d6e7f8'],
    ['the newest run wins: a later failure after a success', [ok('build', 1), fakeCheck('build', 'completed', 'failure', at(2)), ok('test')], 'blocked', 'build: failure (check run) (head 5d6e7f8)'],
    ['a pending rerun after a success is pending', [ok('build', 1), fakeCheck('build', 'queued', null, at(2)), ok('test')], 'pending', 'build: queued (check run) (head 5d6e7f8)'],
    ['an in-progress rerun is pending', [ok('build', 1), fakeCheck('build', 'in_progress', null, at(2)), ok('test')], 'pending', 'build: in progress (check run) (head 5d6e7f8)'],
    ['listing order does not matter, time does', [ok('build', 5), fakeCheck('build', 'completed', 'failure', at(1)), ok('test')], 'passed', 'build, test succeeded on 5d6e7f8'],
    ['a missing check is pending', [ok('build')], 'pending', 'test: not reported yet (head 5d6e7f8)'],
    [
      'failure beats pending in the overall state',
      [fakeCheck('build', 'completed', 'timed_out', at(1)), fakeCheck('test', 'queued', null, at(1))],
      'blocked',
      'build: timed out (check run); test: queued (check run) (head 5d6e7f8)',
    ],
    ['neutral does not count as success', [fakeCheck('build', 'completed', 'neutral', at(1)), ok('test')], 'blocked', 'build: neutral (only success counts) (check run) (head 5d6e7f8)'],
    ['skipped does not count as success', [fakeCheck('build', 'completed', 'skipped', at(1)), ok('test')], 'blocked', 'build: skipped (only success counts) (check run) (head 5d6e7f8)'],
    ['cancelled blocks', [fakeCheck('build', 'completed', 'cancelled', at(1)), ok('test')], 'blocked', 'build: cancelled (check run) (head 5d6e7f8)'],
    ['action_required blocks', [fakeCheck('build', 'completed', 'action_required', at(1)), ok('test')], 'blocked', 'build: action required (check run) (head 5d6e7f8)'],
    ['stale blocks', [fakeCheck('build', 'completed', 'stale', at(1)), ok('test')], 'blocked', 'build: stale (check run) (head 5d6e7f8)'],
    ['a commit status counts by name', [fakeCheck('build', 'completed', 'success', at(1), { source: 'status' }), ok('test')], 'passed', 'build, test succeeded on 5d6e7f8'],
    ['a pending commit status is pending', [fakeCheck('build', 'pending', null, at(1), { source: 'status' }), ok('test')], 'pending', 'build: pending (status) (head 5d6e7f8)'],
    ['an error status blocks', [fakeCheck('build', 'completed', 'error', at(1), { source: 'status' }), ok('test')], 'blocked', 'build: error (status) (head 5d6e7f8)'],
    [
      'a newer status beats an older check run',
      [ok('build', 1), fakeCheck('build', 'completed', 'failure', at(2), { source: 'status' }), ok('test')],
      'blocked',
      'build: failure (status) (head 5d6e7f8)',
    ],
    [
      'a tie at the same time takes the worse',
      [ok('build', 1), fakeCheck('build', 'completed', 'failure', at(1), { source: 'status' }), ok('test')],
      'blocked',
      'build: failure (status) (head 5d6e7f8)',
    ],
    ['names match exactly', [ok('Build'), ok('test')], 'pending', 'build: not reported yet (head 5d6e7f8)'],
  ])('%s', async (_name, checks, state, reason) => {
    const facts = fakeFacts({ pullRequest: { headSha: HEAD }, checks: { [HEAD]: checks } });
    const result = await requiredChecksRule.evaluate(ctxOf(productConfig(), 'production', facts));
    expect(result.state).toBe(state);
    expect(result.reason).toBe(reason);
  });

  it('counts only checks of the head commit', async () => {
    const facts = fakeFacts({ pullRequest: { headSha: HEAD }, checks: { [OLD]: [ok('build'), ok('test')] } });
    const result = await requiredChecksRule.evaluate(ctxOf(productConfig(), 'production', facts));
    expect(result.state).toBe('pending');
    expect(facts.log).toContain(`checks(${HEAD})`);
  });

  it('ignores its own check run named stagegate', async () => {
    const config = productConfig({ production: { checks: ['build', 'stagegate'] } });
    const facts = fakeFacts({ pullRequest: { headSha: HEAD }, checks: { [HEAD]: [ok('build'), fakeCheck('stagegate', 'completed', 'failure', at(3))] } });
    const result = await requiredChecksRule.evaluate(ctxOf(config, 'production', facts));
    expect(result).toMatchObject({ state: 'passed', matched: ['build'] });
    const only = productConfig({ production: { checks: ['stagegate'] } });
    expect(requiredChecksRule.applies(only.stages[1]!, only)).toBe(false);
  });

  it.each<[string, Partial<FakeFactsInput>, string]>([
    ['an incomplete listing', { incomplete: { checks: 'more than 1000 check runs' } }, 'could not read every check run and status on 5d6e7f8 (more than 1000 check runs)'],
    ['checks() throwing', { errors: { checks: 'HTTP 502' } }, 'could not read check run and status on 5d6e7f8: HTTP 502'],
  ])('%s blocks', async (_name, extra, reason) => {
    const facts = fakeFacts({ pullRequest: { headSha: HEAD }, checks: { [HEAD]: [ok('build'), ok('test')] }, ...extra });
    expect(await requiredChecksRule.evaluate(ctxOf(productConfig(), 'production', facts))).toMatchObject({ state: 'blocked', reason });
  });

  it('is triggered by check runs, suites, statuses and pull requests', () => {
    expect([...requiredChecksRule.triggers].sort()).toEqual(['check_run', 'check_suite', 'pull_request', 'status']);
  });
});
