import { describe, expect, it } from '@jest/globals';
import { commandLines, parseComment, type ParsedComment } from '../../src/commands/parse.js';

const cmd = (command: unknown, line = 1) => expect.objectContaining({ kind: 'command', command, line });

describe('parseComment: the command table', () => {
  const table: Array<[string, string, unknown]> = [
    ['plain text', 'Looks good to me', { kind: 'none' }],
    ['empty', '', { kind: 'none' }],
    ['bare prefix is help', '/stagegate', cmd({ name: 'help' })],
    ['help', '/stagegate help', cmd({ name: 'help' })],
    ['status, upper case', '/Stagegate STATUS', cmd({ name: 'status' })],
    ['recheck with trailing spaces', '/stagegate recheck   ', cmd({ name: 'recheck' })],
    ['deploy', '/stagegate deploy', cmd({ name: 'deploy' })],
    ['deploy on a later line', 'Ready now.\n\n/stagegate deploy', cmd({ name: 'deploy' }, 3)],
    ['deploy, CRLF', 'ok\r\n/stagegate deploy\r\n', cmd({ name: 'deploy' }, 2)],
    ['indented up to three spaces', '   /stagegate deploy', cmd({ name: 'deploy' })],
    ['unlock', '/stagegate unlock', cmd({ name: 'unlock' })],
    ['rollback to the last verified', '/stagegate rollback', cmd({ name: 'rollback', target: null })],
    ['rollback to a short sha', '/stagegate rollback AbC1234', cmd({ name: 'rollback', target: { text: 'abc1234', maybeId: false, maybeSha: true } })],
    ['rollback to a deployment id', '/stagegate rollback 42', cmd({ name: 'rollback', target: { text: '42', maybeId: true, maybeSha: false } })],
    ['rollback to #id', '/stagegate rollback #42', cmd({ name: 'rollback', target: { text: '42', maybeId: true, maybeSha: false } })],
    ['rollback: all digits could be either', '/stagegate rollback 1234567', cmd({ name: 'rollback', target: { text: '1234567', maybeId: true, maybeSha: true } })],
    ['lock with nothing', '/stagegate lock', cmd({ name: 'lock', reason: null, forMs: null, forText: null })],
    ['lock with a reason', '/stagegate lock demo for the board', cmd({ name: 'lock', reason: 'demo for the board', forMs: null, forText: null })],
    ['lock with a quoted reason and --for', '/stagegate lock "board demo" --for 2h', cmd({ name: 'lock', reason: 'board demo', forMs: 7_200_000, forText: '2h' })],
    ['lock --for first', '/stagegate lock --for 1h30m board demo', cmd({ name: 'lock', reason: 'board demo', forMs: 5_400_000, forText: '1h30m' })],
    ['lock --for=1s', '/stagegate lock --for=1s', cmd({ name: 'lock', reason: null, forMs: 1000, forText: '1s' })],
    ['break-glass with a reason', '/stagegate break-glass checkout is down', cmd({ name: 'break-glass', reason: 'checkout is down' })],
    ['approve with a note', '/stagegate approve reviewed the diff', cmd({ name: 'approve', note: 'reviewed the diff' })],
    ['approve alone', '/stagegate approve', cmd({ name: 'approve', note: null })],
  ];
  it.each(table)('%s', (_name, body, expected) => {
    expect(parseComment(body)).toEqual(expected);
  });
});

describe('parseComment: what never runs', () => {
  const none: Array<[string, string]> = [
    ['a quoted command', '> /stagegate deploy\n\nwhy did this fail?'],
    ['a command in a fenced block', 'Run this:\n```\n/stagegate deploy\n```'],
    ['a command in a tilde fence', '~~~text\n/stagegate deploy\n~~~'],
    ['an indented code block', '    /stagegate deploy'],
    ['inline code', 'type `/stagegate deploy` to ship'],
    ['in the middle of a line', 'please /stagegate deploy'],
    ['glued to the prefix', '/stagegatedeploy'],
    ['another bot', '/deploy production'],
  ];
  it.each(none)('%s', (_name, body) => {
    expect(parseComment(body)).toEqual({ kind: 'none' });
  });

  it('an unclosed fence hides the rest of the comment', () => {
    expect(parseComment('```\n/stagegate deploy')).toEqual({ kind: 'none' });
  });

  it('a shorter fence does not close a longer one', () => {
    expect(parseComment('````\n```\n/stagegate deploy\n````\n/stagegate status')).toEqual(cmd({ name: 'status' }, 5));
  });
});

describe('parseComment: mistakes get a precise answer', () => {
  const table: Array<[string, string, Partial<Extract<ParsedComment, { kind: 'unknown' | 'invalid' | 'several' }>>]> = [
    ['a typo', '/stagegate deplyo', { kind: 'unknown', word: 'deplyo', suggestion: 'deploy' }],
    ['a prefix', '/stagegate stat', { kind: 'unknown', word: 'stat', suggestion: 'status' }],
    ['underscores', '/stagegate break_glass prod down', { kind: 'unknown', word: 'break_glass', suggestion: 'break-glass' }],
    ['no dash', '/stagegate breakglass prod down', { kind: 'unknown', word: 'breakglass', suggestion: 'break-glass' }],
    ['nothing close', '/stagegate frobnicate', { kind: 'unknown', word: 'frobnicate', suggestion: null }],
    ['two commands', '/stagegate lock\n/stagegate deploy', { kind: 'several', lines: [1, 2] }],
  ];
  it.each(table)('%s', (_name, body, expected) => {
    expect(parseComment(body)).toEqual(expect.objectContaining(expected));
  });

  const invalid: Array<[string, string, string]> = [
    ['deploy with an argument', '/stagegate deploy abc1234', 'takes no arguments'],
    ['status with an argument', '/stagegate status production', 'takes no arguments'],
    ['rollback with two targets', '/stagegate rollback abc1234 def5678', 'one commit SHA or deployment id'],
    ['rollback to a branch name', '/stagegate rollback staging', 'neither a commit SHA'],
    ['rollback to a too-short sha', '/stagegate rollback abc12', 'neither a commit SHA'],
    ['lock with a bad duration', '/stagegate lock --for 2 hours', 'not a duration'],
    ['lock with a spelled duration', '/stagegate lock --for two', 'not a duration'],
    ['lock --for without a value', '/stagegate lock --for', '--for needs a duration'],
    ['lock with a misspelt flag', '/stagegate lock --fro 2h', 'did you mean --for?'],
    ['lock with an unknown flag', '/stagegate lock --until tomorrow', 'unknown option --until'],
    ['lock --for twice', '/stagegate lock --for 1h --for 2h', 'twice'],
    ['lock --for zero', '/stagegate lock --for 0s', 'longer than zero'],
    ['break-glass without a reason', '/stagegate break-glass', 'needs a reason'],
    ['break-glass with a blank quoted reason', '/stagegate break-glass " "', 'needs a reason'],
  ];
  it.each(invalid)('%s', (_name, body, message) => {
    const r = parseComment(body);
    expect(r.kind).toBe('invalid');
    expect(r.kind === 'invalid' && r.message).toContain(message);
  });

  it('a spelled duration gets its compact form suggested', () => {
    const r = parseComment('/stagegate lock --for 30minutes');
    expect(r.kind === 'invalid' && r.message).toContain('did you mean 30m?');
  });

  it('a long reason is cut to 500 characters', () => {
    const r = parseComment(`/stagegate lock ${'x'.repeat(900)}`);
    expect(r.kind === 'command' && r.command.name === 'lock' && r.command.reason?.length).toBe(500);
  });
});

describe('commandLines', () => {
  it('reports the line and the trimmed text of each command', () => {
    expect(commandLines('hi\n  /stagegate lock  demo  \nbye')).toEqual([{ line: 2, text: '/stagegate lock  demo', rest: 'lock  demo' }]);
  });
});
