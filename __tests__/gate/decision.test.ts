import { describe, expect, it } from '@jest/globals';
import { decide } from '../../src/gate/decision.js';
import { worst, type GateResult, type RuleResult, type RuleState } from '../../src/gate/types.js';

const rule = (title: string, state: RuleState, reason: string): RuleResult => ({ id: 'approvals', title, state, reason, matched: [] });
const gate = (rules: RuleResult[]): GateResult => ({
  repository: 'acme/shop',
  stage: 'production',
  pullRequest: 1,
  baseSha: 'b',
  headSha: 'h',
  state: worst(rules.map((r) => r.state)),
  evaluatedAt: '2026-11-24T09:00:00.000Z',
  rules,
  approvals: [],
  risk: null,
});

describe('decide', () => {
  it.each<[string, RuleResult[], ReturnType<typeof decide>]>([
    ['everything passed: deploy', [rule('Approvals', 'passed', '2 of 2'), rule('Freeze', 'passed', 'no freeze')], { kind: 'deploy', reasons: [] }],
    ['no rules at all: deploy', [], { kind: 'deploy', reasons: [] }],
    ['something pending: wait, with its reason', [rule('Approvals', 'pending', '1 of 2'), rule('Freeze', 'passed', 'x')], { kind: 'wait', reasons: ['Approvals: 1 of 2'] }],
    [
      'something blocked: block, with every non-passed reason in rule order',
      [rule('Approvals', 'pending', '1 of 2'), rule('Required checks', 'blocked', 'build: failure'), rule('Freeze', 'passed', 'x')],
      { kind: 'block', reasons: ['Approvals: 1 of 2', 'Required checks: build: failure'] },
    ],
  ])('%s', (_name, rules, expected) => {
    expect(decide(gate(rules))).toEqual(expected);
  });

  it('never deploys a blocked gate that lists no failing rule', () => {
    expect(decide({ ...gate([]), state: 'blocked' })).toEqual({ kind: 'block', reasons: ['Gate: blocked'] });
  });
});
