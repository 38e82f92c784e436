import { describe, expect, it } from '@jest/globals';
import type { RotationConfig } from '../../src/config/schema.js';
import { dutyAt, formatHandover, regularTurn, reviewRequestOf } from '../../src/rotation/schedule.js';

const rotation = (over: Partial<RotationConfig> = {}): RotationConfig => ({
  teams: ['@acme/web', '@acme/payments', 'anna'],
  period: '1w',
  start: '2027-03-01T09:00',
  timezone: 'Europe/Berlin',
  require: false,
  overrides: [],
  ...over,
});

describe('deploy-duty rotation', () => {
  it('hands over weekly at 09:00 Berlin time on both sides of the spring DST change (a 167-hour week)', () => {
    const r = rotation();
    // 2027-03-28 is the DST change: 09:00 local is 08:00Z before it and 07:00Z after it.
    // Turns: 03-01 web, 03-08 payments, 03-15 anna, 03-22 web, 03-29 payments.
    expect(dutyAt(r, new Date('2027-03-22T07:59:59Z'))).toMatchObject({ team: 'anna', turn: 2 });
    expect(dutyAt(r, new Date('2027-03-22T08:00:00Z'))).toMatchObject({ team: '@acme/web', turn: 3, source: 'schedule' });
    const before = dutyAt(r, new Date('2027-03-29T06:59:59Z'));
    expect(before).toMatchObject({ team: '@acme/web', next: '@acme/payments' });
    expect(before.until?.toISOString()).toBe('2027-03-29T07:00:00.000Z');
    expect(dutyAt(r, new Date('2027-03-29T07:00:00Z'))).toMatchObject({ team: '@acme/payments', turn: 4 });
    const turn = regularTurn(r, new Date('2027-03-25T12:00:00Z'))!;
    expect(turn.end.toMillis() - turn.start.toMillis()).toBe(167 * 3600_000);
    expect(formatHandover(r, before.until!)).toBe('2027-03-29 09:00 GMT+2 (Europe/Berlin)');
  });

  it('and across the autumn change (a 169-hour week)', () => {
    const r = rotation({ start: '2026-10-19T09:00', teams: ['@acme/a', '@acme/b'] });
    expect(dutyAt(r, new Date('2026-10-26T07:59:59Z')).team).toBe('@acme/a');
    expect(dutyAt(r, new Date('2026-10-26T08:00:00Z')).team).toBe('@acme/b');
    const turn = regularTurn(r, new Date('2026-10-21T00:00:00Z'))!;
    expect(turn.end.toMillis() - turn.start.toMillis()).toBe(169 * 3600_000);
  });

  it('a date start is local midnight; nobody is on duty before it, and the first team is next', () => {
    const r = rotation({ start: '2027-03-01' });
    const early = dutyAt(r, new Date('2027-02-28T22:59:00Z'));
    expect(early).toMatchObject({ team: null, source: 'none', next: '@acme/web' });
    expect(early.until?.toISOString()).toBe('2027-02-28T23:00:00.000Z');
  });

  it('an override holds for whole local days, then the schedule resumes where it is', () => {
    const r = rotation({ overrides: [{ from: '2027-03-10', to: '2027-03-11', team: '@acme/sre' }] });
    expect(dutyAt(r, new Date('2027-03-09T22:59:59Z')).team).toBe('@acme/payments');
    const held = dutyAt(r, new Date('2027-03-09T23:00:00Z'));
    expect(held).toMatchObject({ team: '@acme/sre', source: 'override', next: '@acme/payments' });
    expect(held.until?.toISOString()).toBe('2027-03-11T23:00:00.000Z');
    expect(dutyAt(r, new Date('2027-03-11T23:00:00Z')).team).toBe('@acme/payments');
  });

  it('an override by the team already on duty is no hand-over; a sub-day period is fixed milliseconds', () => {
    const r = rotation({ overrides: [{ from: '2027-03-01T10:00', to: '2027-03-02T10:00', team: '@ACME/web' }] });
    const d = dutyAt(r, new Date('2027-03-01T08:30:00Z'));
    expect(d.next).toBe('@acme/payments');
    expect(d.until?.toISOString()).toBe('2027-03-08T08:00:00.000Z');
    const hourly = rotation({ period: '12h', start: '2027-03-28T00:00' });
    expect(dutyAt(hourly, new Date('2027-03-28T10:59:00Z')).team).toBe('@acme/web');
    expect(dutyAt(hourly, new Date('2027-03-28T11:00:00Z')).team).toBe('@acme/payments');
  });

  it('requests a team by slug and a user by login', () => {
    expect(reviewRequestOf('@acme/web')).toEqual({ reviewers: [], team_reviewers: ['web'] });
    expect(reviewRequestOf('anna')).toEqual({ reviewers: ['anna'], team_reviewers: [] });
  });
});
