import { describe, expect, it } from '@jest/globals';
import { formatConfigError, parseConfig } from '../../src/config/load.js';

const STAGES = `stages:
  - name: staging
    branch: staging
    from: master
  - name: production
    branch: production
    from: staging
    signoff: { approvals: 2, reviewers: [anna, "@acme/release-managers"] }
`;

const errors = (extra: string): string[] => {
  const r = parseConfig(STAGES + extra);
  if (r.ok) throw new Error(`expected ${JSON.stringify(extra)} to be rejected`);
  return r.errors.map(formatConfigError);
};

describe('commands, locks and break_glass keys', () => {
  it('defaults: every command on, read for help and status, write for the rest, no break-glass', () => {
    const r = parseConfig(STAGES);
    if (!r.ok) throw new Error(r.errors.map(formatConfigError).join('\n'));
    expect(r.config.commands).toEqual({ enabled: true, merge_method: 'merge', help: 'read', status: 'read', recheck: 'write', deploy: 'write', rollback: 'write', lock: 'write', unlock: 'write' });
    expect(r.config.locks).toEqual({});
    expect(r.config.break_glass).toBeUndefined();
  });

  it('a full ChatOps section', () => {
    const r = parseConfig(
      STAGES +
        `commands:
  deploy: maintain
  merge_method: squash
locks:
  default_duration: 2h
  max_duration: 1d
break_glass:
  teams: ["@acme/sre", oncall-lead]
  stages: [production]
  waive: [signoff, windows, freeze, lock]
  follow_up: { approvals: 2, deadline: 12h, reviewers: ["@acme/release-managers"] }
`,
    );
    if (!r.ok) throw new Error(r.errors.map(formatConfigError).join('\n'));
    expect(r.config.commands).toMatchObject({ deploy: 'maintain', merge_method: 'squash', lock: 'write' });
    expect(r.config.break_glass).toEqual({
      teams: ['@acme/sre', 'oncall-lead'],
      stages: ['production'],
      waive: ['signoff', 'windows', 'freeze', 'lock'],
      follow_up: { approvals: 2, deadline: '12h', reviewers: ['@acme/release-managers'] },
    });
    const bare = parseConfig(`${STAGES}break_glass:\n  teams: ["@acme/sre"]\n`);
    expect(bare.ok && bare.config.break_glass).toEqual({ teams: ['@acme/sre'], waive: ['signoff', 'windows', 'freeze'], follow_up: { approvals: 1, deadline: '24h' } });
  });

  it('mistakes are named at their line, with suggestions', () => {
    expect(errors('commands:\n  deploy: writer\n')).toEqual([
      expect.stringMatching(/:10:\d+: commands\.deploy: must be one of "read", "triage", "write", "maintain", "admin", not the text "writer" \(did you mean "write"\?\)/),
    ]);
    expect(errors('commands:\n  deplyo: write\n')).toEqual([expect.stringMatching(/commands\.deplyo: unknown key "deplyo" \(did you mean "deploy"\?\)/)]);
    expect(errors('locks:\n  max_duration: 2 days\n')).toEqual([
      expect.stringMatching(/locks\.max_duration: must be a duration such as 30s, 10m, 2h or 1h30m, not the text "2 days" \(did you mean "2d"\?\)/),
    ]);
    expect(errors('break_glass:\n  teams: []\n')).toEqual([expect.stringContaining('break_glass.teams: must list at least one item')]);
    expect(errors('break_glass:\n  teams: ["@acme/sre"]\n  waive: [approvals]\n')).toEqual([
      expect.stringContaining('break_glass.waive[0]: must be one of "signoff", "windows", "freeze", "verified_in", "lock", "checks"'),
    ]);
  });

  it('cross-checks: break_glass.stages must name stages; a default lock cannot outlast the maximum', () => {
    expect(errors('break_glass:\n  teams: ["@acme/sre"]\n  stages: [prod]\n')).toEqual([
      expect.stringContaining('break_glass.stages[0]: names no stage ("prod"; the stages are "staging", "production")'),
    ]);
    expect(errors('locks:\n  default_duration: 2d\n  max_duration: 1d\n')).toEqual([expect.stringContaining('locks.default_duration: is longer than max_duration (1d)')]);
  });
});
