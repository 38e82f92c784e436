import { describe, expect, it } from '@jest/globals';
import { allowedCommands, authorize, type AuthorizeInput } from '../../src/commands/permissions.js';
import { COMMAND_NAMES, type CommandName } from '../../src/commands/names.js';
import { configSchema } from '../../src/config/schema.js';

const defaults = configSchema.parse({ stages: [{ name: 'staging', branch: 'staging', from: 'master' }] }).commands;

type Who = 'outsider' | 'read' | 'triage' | 'write' | 'maintain' | 'admin' | 'team member' | 'bot' | 'fork';

function input(who: Who, command: CommandName, over: Partial<AuthorizeInput> = {}): AuthorizeInput {
  const role = who === 'outsider' ? 'none' : who === 'team member' ? 'read' : who === 'bot' ? 'write' : who === 'fork' ? 'admin' : who;
  return {
    command,
    who: { login: who === 'bot' ? 'deploy-helper[bot]' : 'carol', type: who === 'bot' ? 'Bot' : 'User', role },
    self: 'stagegate[bot]',
    fork: who === 'fork',
    commands: defaults,
    breakGlass: { configured: true, member: who === 'team member' },
    followUp: { reviewersConfigured: false, member: false },
    lockHolder: null,
    ...over,
  };
}

// ✓ allowed, ✗ refused; the columns follow COMMAND_NAMES:
//                      help status recheck deploy rollback lock unlock break-glass approve
const MATRIX: Record<Who, string> = {
  outsider: '✗ ✗ ✗ ✗ ✗ ✗ ✗ ✗ ✗',
  read: '✓ ✓ ✗ ✗ ✗ ✗ ✗ ✗ ✗',
  triage: '✓ ✓ ✗ ✗ ✗ ✗ ✗ ✗ ✗',
  write: '✓ ✓ ✓ ✓ ✓ ✓ ✓ ✗ ✓',
  maintain: '✓ ✓ ✓ ✓ ✓ ✓ ✓ ✗ ✓',
  admin: '✓ ✓ ✓ ✓ ✓ ✓ ✓ ✗ ✓',
  'team member': '✓ ✓ ✗ ✗ ✗ ✗ ✗ ✓ ✗',
  bot: '✗ ✗ ✗ ✗ ✗ ✗ ✗ ✗ ✗',
  fork: '✗ ✗ ✗ ✗ ✗ ✗ ✗ ✗ ✗',
};

describe('the permission matrix (default commands: config)', () => {
  const cases = (Object.keys(MATRIX) as Who[]).flatMap((who) => {
    const marks = MATRIX[who].split(' ');
    return COMMAND_NAMES.map((command, i) => [who, command, marks[i] === '✓'] as const);
  });
  it.each(cases)('%s × %s → allowed %s', (who, command, allowed) => {
    const r = authorize(input(who, command));
    expect(r.kind).toBe(allowed ? 'allowed' : 'refused');
    if (r.kind === 'refused') expect(r.reason.length).toBeGreaterThan(10);
  });

  it('refusals say why', () => {
    expect(authorize(input('read', 'deploy'))).toEqual({ kind: 'refused', reason: '`/stagegate deploy` needs write access or more; @carol is a read' });
    expect(authorize(input('outsider', 'status'))).toEqual({ kind: 'refused', reason: '@carol has no access to this repository' });
    expect(authorize(input('bot', 'status'))).toMatchObject({ kind: 'refused', reason: expect.stringContaining('is a bot') });
    expect(authorize(input('fork', 'deploy'))).toMatchObject({ kind: 'refused', reason: 'commands are not accepted on pull requests from forks' });
    expect(authorize(input('write', 'break-glass'))).toMatchObject({ kind: 'refused', reason: '@carol is not a member of a break_glass team' });
  });
});

describe('the matrix follows the configuration', () => {
  it('a configured least role raises (or lowers) the bar', () => {
    const commands = { ...defaults, deploy: 'maintain' as const, lock: 'triage' as const };
    expect(authorize(input('write', 'deploy', { commands })).kind).toBe('refused');
    expect(authorize(input('maintain', 'deploy', { commands })).kind).toBe('allowed');
    expect(authorize(input('triage', 'lock', { commands })).kind).toBe('allowed');
  });

  it('switched-off commands are ignored without a reply, for everyone', () => {
    expect(authorize(input('admin', 'status', { commands: { ...defaults, enabled: false } }))).toMatchObject({ kind: 'ignored' });
  });

  it('Stagegate’s own comments are ignored, a bot claiming to be a user is still a bot', () => {
    expect(authorize(input('write', 'deploy', { who: { login: 'stagegate[bot]', type: 'Bot', role: 'write' } }))).toMatchObject({ kind: 'ignored' });
    expect(authorize(input('write', 'deploy', { who: { login: 'evil[bot]', type: 'User', role: 'admin' } }))).toMatchObject({ kind: 'refused' });
  });

  it('break-glass without a configuration is refused for every team', () => {
    expect(authorize(input('team member', 'break-glass', { breakGlass: { configured: false, member: true } }))).toMatchObject({ kind: 'refused', reason: expect.stringContaining('not configured') });
  });

  it('unlock: the holder or an admin', () => {
    expect(authorize(input('write', 'unlock', { lockHolder: 'carol' }))).toEqual({ kind: 'allowed', because: 'holder of the lock' });
    expect(authorize(input('write', 'unlock', { lockHolder: 'anna' }))).toMatchObject({ kind: 'refused', reason: expect.stringContaining('held by @anna') });
    expect(authorize(input('maintain', 'unlock', { lockHolder: 'anna' })).kind).toBe('refused');
    expect(authorize(input('admin', 'unlock', { lockHolder: 'anna' }))).toEqual({ kind: 'allowed', because: 'admin' });
    expect(authorize(input('read', 'unlock', { lockHolder: 'carol' })).kind).toBe('refused');
  });

  it('approve: the follow-up’s reviewers when it names them, else writers', () => {
    const named = (member: boolean) => ({ followUp: { reviewersConfigured: true, member } });
    expect(authorize(input('read', 'approve', named(true))).kind).toBe('allowed');
    expect(authorize(input('admin', 'approve', named(false))).kind).toBe('refused');
  });

  it('help lists exactly what the requester may run', () => {
    const { command: _c, ...base } = input('read', 'help');
    expect(allowedCommands(base)).toEqual(['help', 'status']);
    const { command: _d, ...member } = input('team member', 'help');
    expect(allowedCommands(member)).toEqual(['help', 'status', 'break-glass']);
  });
});
