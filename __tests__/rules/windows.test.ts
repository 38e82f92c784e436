import { describe, expect, it } from '@jest/globals';
import { fakeFacts } from '../../src/facts/fake.js';
import type { RuleState } from '../../src/gate/types.js';
import { windowsRule } from '../../src/rules/windows.js';
import { ctxOf, productConfig } from './support.js';

// Europe/Berlin: CET (+01:00) until 2026-03-29 01:00Z, CEST (+02:00) until 2026-10-25 01:00Z.
const berlin = productConfig();

describe('deploy windows (mon-thu 09:00-16:00 Europe/Berlin)', () => {
  it.each<[string, string, RuleState, string | undefined, RegExp]>([
    ['Monday 09:30 CEST is inside', '2026-03-30T07:30:00Z', 'passed', '2026-03-30T14:00:00.000Z', /until 2026-03-30T16:00:00\+02:00 \(Europe\/Berlin\)/],
    ['Monday 09:00 CEST sharp is inside (start inclusive)', '2026-03-30T07:00:00Z', 'passed', '2026-03-30T14:00:00.000Z', /inside/],
    ['Monday 08:59 CEST is outside, opens at 09:00', '2026-03-30T06:59:00Z', 'pending', '2026-03-30T07:00:00.000Z', /next opens 2026-03-30T09:00:00\+02:00 \(Europe\/Berlin\)/],
    ['Monday 16:00 CEST is outside (end exclusive), opens Tuesday', '2026-03-30T14:00:00Z', 'pending', '2026-03-31T07:00:00.000Z', /next opens 2026-03-31T09:00:00\+02:00/],
    ['Monday 08:30 CET, the week before DST, opens 08:00Z', '2026-03-23T07:30:00Z', 'pending', '2026-03-23T08:00:00.000Z', /next opens 2026-03-23T09:00:00\+01:00/],
    ['Monday 08:30 UTC is 09:30 CET: inside in winter', '2026-03-23T08:30:00Z', 'passed', '2026-03-23T15:00:00.000Z', /until 2026-03-23T16:00:00\+01:00/],
    ['08:30 UTC is inside in winter, 06:30 UTC (08:30 CEST) is outside in summer', '2026-03-30T06:30:00Z', 'pending', '2026-03-30T07:00:00.000Z', /next opens/],
    ['Thursday evening before spring DST: next opening is Monday 09:00 CEST', '2026-03-26T15:30:00Z', 'pending', '2026-03-30T07:00:00.000Z', /next opens 2026-03-30T09:00:00\+02:00/],
    ['Sunday of the DST change, 03:30 CEST: next is Monday', '2026-03-29T01:30:00Z', 'pending', '2026-03-30T07:00:00.000Z', /next opens 2026-03-30T09:00:00\+02:00/],
    ['Thursday evening before autumn DST: next opening is Monday 09:00 CET', '2026-10-22T14:30:00Z', 'pending', '2026-10-26T08:00:00.000Z', /next opens 2026-10-26T09:00:00\+01:00/],
    ['Thursday 15:59 CET is inside and closes at 16:00', '2026-03-26T14:59:00Z', 'passed', '2026-03-26T15:00:00.000Z', /until 2026-03-26T16:00:00\+01:00/],
    ['Friday is outside', '2026-03-27T10:00:00Z', 'pending', '2026-03-30T07:00:00.000Z', /outside deploy windows/],
  ])('%s', async (_name, now, state, nextChangeAt, reason) => {
    const result = await windowsRule.evaluate(ctxOf(berlin, 'production', fakeFacts(), new Date(now)));
    expect(result.state).toBe(state);
    expect(result.nextChangeAt).toBe(nextChangeAt);
    expect(result.reason).toMatch(reason);
  });

  it('names the next opening with time and zone', async () => {
    const result = await windowsRule.evaluate(ctxOf(berlin, 'production', fakeFacts(), new Date('2026-03-27T10:00:00Z')));
    expect(result.reason).toBe('outside deploy windows; next opens 2026-03-30T09:00:00+02:00 (Europe/Berlin)');
  });

  it('reads no facts', async () => {
    const facts = fakeFacts();
    await windowsRule.evaluate(ctxOf(berlin, 'production', facts, new Date('2026-03-27T10:00:00Z')));
    expect(facts.log).toEqual([]);
  });
});

describe('several windows, overnight windows and the earliest opening', () => {
  const config = productConfig({
    production: {
      windows: [
        { days: ['mon', 'tue', 'wed', 'thu', 'fri'], hours: '09:00-12:00', timezone: 'Europe/Berlin' },
        { days: ['mon', 'tue', 'wed', 'thu', 'fri'], hours: '11:00-14:00', timezone: 'Europe/Berlin' },
        { days: ['sat'], hours: '22:00-02:00', timezone: 'America/New_York' },
        { days: ['mon'], hours: '10:00-24:00', timezone: 'Asia/Tokyo' },
      ],
    },
  });

  it.each<[string, string, RuleState, string | undefined]>([
    ['overlapping windows stay open until the last closes', '2026-11-24T09:30:00Z', 'passed', '2026-11-24T13:00:00.000Z'],
    ['Friday evening: the New York overnight window (Sat 22:00 EST) opens first', '2026-11-27T18:00:00Z', 'pending', '2026-11-29T03:00:00.000Z'],
    ['Saturday 23:00 New York is inside until 02:00 Sunday', '2026-11-29T04:00:00Z', 'passed', '2026-11-29T07:00:00.000Z'],
    ['Sunday 01:30 New York (after midnight) is still inside', '2026-11-29T06:30:00Z', 'passed', '2026-11-29T07:00:00.000Z'],
    ['Sunday 02:00 New York is outside; Monday 10:00 Tokyo opens next', '2026-11-29T07:00:00Z', 'pending', '2026-11-30T01:00:00.000Z'],
    ['Monday 10:00 Tokyo is inside, running to midnight Tokyo', '2026-11-30T01:00:00Z', 'passed', '2026-11-30T15:00:00.000Z'],
    ['Monday 23:59 Tokyo is inside, closing at midnight (24:00)', '2026-11-30T14:59:00Z', 'passed', '2026-11-30T15:00:00.000Z'],
  ])('%s', async (_name, now, state, nextChangeAt) => {
    const result = await windowsRule.evaluate(ctxOf(config, 'production', fakeFacts(), new Date(now)));
    expect(result.state).toBe(state);
    expect(result.nextChangeAt).toBe(nextChangeAt);
  });

  it('applies only with windows', () => {
    const c = productConfig();
    expect(windowsRule.applies(c.stages[0]!, c)).toBe(false);
    expect(windowsRule.applies(c.stages[1]!, c)).toBe(true);
  });
});

describe('windows on the nights the clocks change (Europe/Berlin, Sundays 02:00-03:30)', () => {
  const config = productConfig({ production: { windows: [{ days: ['sun'], hours: '02:00-03:30', timezone: 'Europe/Berlin' }] } });

  it.each<[string, string, RuleState, string]>([
    ['spring: 02:00 does not exist, the window opens when clocks jump to 03:00 CEST', '2026-03-28T12:00:00Z', 'pending', '2026-03-29T01:00:00.000Z'],
    ['spring: 03:15 CEST is inside, closing 03:30 CEST', '2026-03-29T01:15:00Z', 'passed', '2026-03-29T01:30:00.000Z'],
    ['autumn: first 02:30 (CEST) is inside, open until 03:30 CET', '2026-10-25T00:30:00Z', 'passed', '2026-10-25T02:30:00.000Z'],
    ['autumn: second 02:30 (CET) is inside too', '2026-10-25T01:30:00Z', 'passed', '2026-10-25T02:30:00.000Z'],
    ['autumn: opens at the first 02:00 (CEST)', '2026-10-24T12:00:00Z', 'pending', '2026-10-25T00:00:00.000Z'],
  ])('%s', async (_name, now, state, nextChangeAt) => {
    const result = await windowsRule.evaluate(ctxOf(config, 'production', fakeFacts(), new Date(now)));
    expect(result.state).toBe(state);
    expect(result.nextChangeAt).toBe(nextChangeAt);
  });
});
