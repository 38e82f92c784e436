import { describe, expect, it } from '@jest/globals';
import { fakeFacts } from '../../src/facts/fake.js';
import type { RuleState } from '../../src/gate/types.js';
import { freezeRule } from '../../src/rules/freeze.js';
import { ctxOf, productConfig } from './support.js';

const run = async (freeze: unknown[], now: string) => freezeRule.evaluate(ctxOf(productConfig({ production: { freeze } }), 'production', fakeFacts(), new Date(now)));

describe('freeze (dates are whole days, `to` inclusive)', () => {
  const holiday = [{ from: '2026-12-20', to: '2027-01-04', reason: 'Holiday freeze' }];

  it.each<[string, string, RuleState, string | undefined]>([
    ['the day before is free, with the freeze start as next change', '2026-12-19T23:59:59Z', 'passed', '2026-12-20T00:00:00.000Z'],
    ['the first day is frozen', '2026-12-20T00:00:00Z', 'blocked', '2027-01-05T00:00:00.000Z'],
    ['the last day is frozen to its very end (inclusive)', '2027-01-04T23:59:59Z', 'blocked', '2027-01-05T00:00:00.000Z'],
    ['the day after is free', '2027-01-05T00:00:00Z', 'passed', undefined],
  ])('%s', async (_name, now, state, nextChangeAt) => {
    const result = await run(holiday, now);
    expect(result.state).toBe(state);
    expect(result.nextChangeAt).toBe(nextChangeAt);
  });

  it('gives the reason and when the freeze ends', async () => {
    const result = await run(holiday, '2026-12-24T12:00:00Z');
    expect(result.reason).toBe('Holiday freeze: frozen 2026-12-20 to 2027-01-04 (UTC); ends 2027-01-05T00:00:00Z');
  });

  it.each<[string, string, RuleState]>([
    ['Berlin: 23:30 CET on the last day is frozen', '2027-01-04T22:30:00Z', 'blocked'],
    ['Berlin: midnight CET after the last day is free', '2027-01-04T23:00:00Z', 'passed'],
    ['Berlin: 00:30 CET on the first day is frozen', '2026-12-19T23:30:00Z', 'blocked'],
  ])('whole days in the freeze time zone: %s', async (_name, now, state) => {
    const result = await run([{ from: '2026-12-20', to: '2027-01-04', reason: 'Holidays', timezone: 'Europe/Berlin' }], now);
    expect(result.state).toBe(state);
  });

  it.each<[string, string, RuleState, string | undefined]>([
    ['before the instant', '2026-11-27T16:59:59Z', 'passed', '2026-11-27T17:00:00.000Z'],
    ['at the start instant', '2026-11-27T17:00:00Z', 'blocked', '2026-11-28T05:00:00.000Z'],
    ['at the end instant it is over', '2026-11-28T05:00:00Z', 'passed', undefined],
  ])('date-times are instants: %s', async (_name, now, state, nextChangeAt) => {
    const result = await run([{ from: '2026-11-27T18:00:00+01:00', to: '2026-11-28T06:00:00+01:00', reason: 'Black Friday' }], now);
    expect(result.state).toBe(state);
    expect(result.nextChangeAt).toBe(nextChangeAt);
  });

  it('a date-time without offset is read in the freeze time zone', async () => {
    const result = await run([{ from: '2026-11-27T18:00', to: '2026-11-28T06:00', timezone: 'America/New_York' }], '2026-11-27T23:30:00Z');
    expect(result).toMatchObject({ state: 'blocked', nextChangeAt: '2026-11-28T11:00:00.000Z' });
  });

  it('overlapping freezes end when the last one ends', async () => {
    const result = await run(
      [
        { from: '2026-12-20', to: '2026-12-27', reason: 'Christmas' },
        { from: '2026-12-26', to: '2027-01-04', reason: 'New year' },
      ],
      '2026-12-21T10:00:00Z',
    );
    expect(result).toMatchObject({ state: 'blocked', nextChangeAt: '2027-01-05T00:00:00.000Z' });
    expect(result.reason).toMatch(/^Christmas: .*ends 2027-01-05T00:00:00Z$/);
  });

  it('reads no facts and applies only with freezes', async () => {
    const facts = fakeFacts();
    const config = productConfig();
    await freezeRule.evaluate(ctxOf(config, 'production', facts, new Date('2026-12-24T00:00:00Z')));
    expect(facts.log).toEqual([]);
    expect(freezeRule.applies(config.stages[0]!, config)).toBe(false);
    expect(freezeRule.applies(config.stages[1]!, config)).toBe(true);
  });
});
