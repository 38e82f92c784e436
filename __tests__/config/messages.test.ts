import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { formatConfigError, parseConfig, type ConfigError } from '../../src/config/load.js';
import { issueErrors, LIBRARY_DEFAULT } from '../../src/config/messages.js';

const example = readFileSync(new URL('../fixtures/product-example.yml', import.meta.url), 'utf8');

/** Text zod (or another validation library) writes; none of it may reach a user. */
// eslint-disable-next-line no-control-regex -- a NUL byte reaching a message is one of the things looked for
const LIBRARY_TEXT = /Invalid (input|option|string|URL|type|element|key)|Too (small|big)|expected .* received|must be a int|Unrecognized key|>=|<=|\bNaN\b|undefined|\u0000/;

function errorsOf(from: string, to: string): ConfigError[] {
  expect(example).toContain(from);
  const r = parseConfig(example.replace(from, to));
  if (r.ok) throw new Error(`expected ${JSON.stringify(to)} to be rejected`);
  return r.errors;
}

describe('every schema failure kind in plain words, at its line', () => {
  // [what, replace, with, path, line, exact message, suggestion]
  const table: [string, string, string, string, number, string, string | undefined][] = [
    ['wrong type (text for a number)', 'approvals: 2\n      reviewers', 'approvals: two\n      reviewers', 'stages[1].signoff.approvals', 32, 'must be a number, not the text "two"', undefined],
    ['not a whole number', 'approvals: 2\n      reviewers', 'approvals: 1.5\n      reviewers', 'stages[1].signoff.approvals', 32, 'must be a whole number, not 1.5', undefined],
    ['below the minimum', 'approvals: 2\n      reviewers', 'approvals: -1\n      reviewers', 'stages[1].signoff.approvals', 32, 'must be at least 0, not -1', undefined],
    ['above the maximum', 'approvals: 2\n      reviewers', 'approvals: 25\n      reviewers', 'stages[1].signoff.approvals', 32, 'must be at most 20, not 25', undefined],
    [
      'wrong type (text for a boolean)',
      'separation_of_duties: true',
      'separation_of_duties: "yes"',
      'stages[1].signoff.separation_of_duties',
      34,
      'must be true or false, not the text "yes"',
      undefined,
    ],
    ['wrong type (mapping for a list)', 'checks: [build, test]', 'checks: { build: true }', 'stages[1].checks', 35, 'must be a list, not a mapping', undefined],
    ['empty text', 'workflow: stagegate-deploy.yml', 'workflow: ""', 'deploy.workflow', 49, 'must not be empty', undefined],
    ['empty list', 'paths: ["docs/**", "**/*.md"]', 'paths: []', 'risk[1].paths', 46, 'must list at least one item', undefined],
    ['a required key missing', '    branch: production\n', '', 'stages[1].branch', 28, 'is required', undefined],
    ['an unknown key', 'approvals: 2\n      reviewers', 'aprovals: 2\n      reviewers', 'stages[1].signoff.aprovals', 32, 'unknown key "aprovals"', 'approvals'],
    ['an unknown key in another case', 'auto_rollback: true', 'Auto_Rollback: true', 'stages[0].Auto_Rollback', 27, 'unknown key "Auto_Rollback"', 'auto_rollback'],
    [
      'not a URL',
      'url: https://staging.example.com/healthz',
      'url: staging.example.com/healthz',
      'stages[0].verify.smoke[0].url',
      12,
      'must be a URL such as https://example.com/healthz, not the text "staging.example.com/healthz"',
      undefined,
    ],
    [
      'an enum value',
      'days: [mon, tue, wed, thu]',
      'days: [mon, tues, wed, thu]',
      'stages[1].windows[0].days[1]',
      39,
      'must be one of "mon", "tue", "wed", "thu", "fri", "sat", "sun", not the text "tues"',
      'tue',
    ],
    [
      'an enum value spelled out',
      'days: [mon, tue, wed, thu]',
      'days: [Monday, tue, wed, thu]',
      'stages[1].windows[0].days[0]',
      39,
      'must be one of "mon", "tue", "wed", "thu", "fri", "sat", "sun", not the text "Monday"',
      'mon',
    ],
    [
      'the only allowed value',
      'provider: prometheus',
      'provider: datadog',
      'stages[0].verify.metrics.provider',
      19,
      'must be "prometheus", the only value supported, not the text "datadog"',
      undefined,
    ],
    ['an enum of levels', 'level: low', 'level: lowest', 'risk[1].level', 47, 'must be one of "low", "normal", "high", not the text "lowest"', 'low'],
    [
      'a time zone misspelt',
      'timezone: Europe/Berlin',
      'timezone: Europe/Berln',
      'stages[1].windows[0].timezone',
      39,
      'is not an IANA time zone such as Europe/Berlin, America/New_York or UTC',
      'Europe/Berlin',
    ],
    [
      'a time zone by its city',
      'timezone: Europe/Berlin',
      'timezone: new york',
      'stages[1].windows[0].timezone',
      39,
      'is not an IANA time zone such as Europe/Berlin, America/New_York or UTC',
      'America/New_York',
    ],
    [
      'a time zone in lower case',
      'timezone: Europe/Berlin',
      'timezone: europe/berlin',
      'stages[1].windows[0].timezone',
      39,
      'is not an IANA time zone such as Europe/Berlin, America/New_York or UTC',
      'Europe/Berlin',
    ],
    ['a duration in words', 'soak: 30m', 'soak: 30 minutes', 'stages[1].soak', 37, 'must be a duration such as 30s, 10m, 2h or 1h30m, not the text "30 minutes"', '30m'],
    ['a duration in several words', 'soak: 30m', 'soak: 1 hour 30 minutes', 'stages[1].soak', 37, 'must be a duration such as 30s, 10m, 2h or 1h30m, not the text "1 hour 30 minutes"', '1h30m'],
    ['a duration without a unit', 'soak: 30m', 'soak: 30', 'stages[1].soak', 37, 'must be a duration such as 30s, 10m, 2h or 1h30m, not the number 30', undefined],
    [
      'hours without leading zero',
      'hours: "09:00-16:00"',
      'hours: "9:00-16:00"',
      'stages[1].windows[0].hours',
      39,
      'must be a time range such as 09:00-16:00 (24-hour HH:MM-HH:MM), not the text "9:00-16:00"',
      '09:00-16:00',
    ],
    [
      'hours past midnight',
      'hours: "09:00-16:00"',
      'hours: "09:00-24:30"',
      'stages[1].windows[0].hours',
      39,
      'must be a time range such as 09:00-16:00 (24-hour HH:MM-HH:MM), not the text "09:00-24:30"',
      undefined,
    ],
    [
      'a date in the wrong form',
      'to: 2027-01-04',
      'to: 2027-1-4',
      'stages[1].freeze[0].to',
      41,
      'must be a date (2026-12-20) or a date-time (2026-12-20T18:00:00+01:00), not the text "2027-1-4"',
      '2027-01-04',
    ],
    ['a day that does not exist', 'to: 2027-01-04', 'to: 2027-02-30', 'stages[1].freeze[0].to', 41, 'is not a day of the calendar (check the month and the day)', undefined],
    [
      'a team without @',
      '"@acme/payments-leads"',
      '"acme/payments-leads"',
      'risk[0].signoff.reviewers[0]',
      45,
      'must be a GitHub login (anna) or a team (@org/team-slug), not the text "acme/payments-leads"',
      '@acme/payments-leads',
    ],
    ['a smoke check of neither form', '        - name: e2e\n          run: npm run e2e', '        - name: e2e', 'stages[0].verify.smoke[1]', 16, 'needs url or run', undefined],
    [
      'a smoke check of both forms',
      '          run: npm run e2e',
      '          run: npm run e2e\n          url: https://x.test',
      'stages[0].verify.smoke[1]',
      16,
      'cannot combine "run" with "url": each belongs to a different form',
      undefined,
    ],
    [
      'a smoke check that is not a mapping',
      '        - name: e2e\n          run: npm run e2e',
      '        - npm run e2e',
      'stages[0].verify.smoke[1]',
      16,
      'must be a mapping (key: value), not the text "npm run e2e"',
      undefined,
    ],
    ['a smoke check nearest to one form', '          retries: 5', '          retries: many', 'stages[0].verify.smoke[0].retries', 14, 'must be a number, not the text "many"', undefined],
    ['a refinement (metric without threshold)', '            max: 0.01', '', 'stages[0].verify.metrics.checks[0]', 24, 'needs min or max', undefined],
  ];

  it.each(table)('%s', (_what, from, to, path, line, message, suggestion) => {
    const errors = errorsOf(from, to);
    const e = errors.find((x) => x.path === path);
    if (!e) throw new Error(`no error at ${path}; got:\n${errors.map(formatConfigError).join('\n')}`);
    expect({ line: e.line, message: e.message, suggestion: e.suggestion }).toEqual({ line, message, suggestion });
    for (const x of errors) expect(x.message).not.toMatch(LIBRARY_TEXT);
  });

  it('formats one line per error, file:line:col: key.path: message (did you mean …?)', () => {
    const [e] = errorsOf('days: [mon, tue, wed, thu]', 'days: [mon, tues, wed, thu]');
    expect(formatConfigError(e!)).toBe(
      '.github/stagegate.yml:39:23: stages[1].windows[0].days[1]: must be one of "mon", "tue", "wed", "thu", "fri", "sat", "sun", not the text "tues" (did you mean "tue"?)',
    );
  });
});

describe('cross-field problems are reported together with the rest', () => {
  it('reports a reversed freeze, a misspelt verified_in, an unknown key and a bad type in one pass', () => {
    let text = example.replace('from: 2026-12-20, to: 2027-01-04', 'from: 2027-01-04, to: 2026-12-20');
    text = text.replace('verified_in: staging', 'verified_in: stagin').replace('approvals: 2\n      reviewers', 'approvals: two\n      reviewers').replace('soak: 30m', 'soak: 30m\n    soke: 1m');
    const r = parseConfig(text);
    if (r.ok) throw new Error('expected errors');
    expect(r.errors.map((e) => [e.path, e.message, e.suggestion])).toEqual([
      ['stages[1].signoff.approvals', 'must be a number, not the text "two"', undefined],
      ['stages[1].verified_in', 'names no stage ("stagin"; the stages are "staging", "production")', 'staging'],
      ['stages[1].soke', 'unknown key "soke"', 'soak'],
      ['stages[1].freeze[0].to', 'is before from (2027-01-04): the freeze would never start; swap from and to', undefined],
    ]);
    expect(r.errors.map((e) => e.line)).toEqual([32, 36, 38, 42]);
  });

  const minimal = (stages: string, rest = ''): string => `stages:\n${stages}${rest}`;
  const table: [string, string, string, string][] = [
    [
      'a cycle of stages',
      minimal('  - { name: a, branch: a, from: b }\n  - { name: b, branch: b, from: a }\n'),
      'stages[0].from',
      'the stages form a cycle (each promotes from the branch of the next): a → b → a',
    ],
    [
      'a cycle of verified_in',
      minimal('  - { name: a, branch: a, from: x, verified_in: b }\n  - { name: b, branch: b, from: y, verified_in: a }\n'),
      'stages[0].verified_in',
      'verified_in forms a cycle, so none of these stages can ever be verified first: a → b → a',
    ],
    ['a duplicate stage name', minimal('  - { name: a, branch: a, from: x }\n  - { name: a, branch: b, from: y }\n'), 'stages[1].name', 'another stage is already named "a" (stages[0])'],
    ['a stage promoting from itself', minimal('  - { name: a, branch: a, from: a }\n'), 'stages[0].from', 'must differ from branch ("a"): a stage promotes from one branch into another'],
    [
      'two stages for one pair of branches',
      minimal('  - { name: a, branch: a, from: x }\n  - { name: b, branch: a, from: x }\n'),
      'stages[1].branch',
      'stages[0] already promotes x → a; each pair of branches belongs to one stage',
    ],
    ['verified_in naming the stage itself', minimal('  - { name: a, branch: a, from: x, verified_in: a }\n'), 'stages[0].verified_in', 'cannot be the stage itself'],
    [
      'soak without verified_in',
      minimal('  - { name: a, branch: a, from: x, soak: 1h }\n'),
      'stages[0].soak',
      'needs verified_in (soak is how long ago the verification in that stage must have succeeded)',
    ],
    [
      'an empty window',
      minimal('  - { name: a, branch: a, from: x, windows: [{ hours: "10:00-10:00" }] }\n'),
      'stages[0].windows[0].hours',
      'opens and closes at the same time, so the window is never open',
    ],
    [
      'risk naming no stage',
      minimal('  - { name: production, branch: p, from: x }\n', 'risk:\n  - { paths: [a], stages: [prod] }\n'),
      'risk[0].stages[0]',
      'names no stage ("prod"; the stages are "production")',
    ],
    [
      'a low tier with sign-off',
      minimal('  - { name: a, branch: a, from: x }\n', 'risk:\n  - { paths: [a], level: low, signoff: { approvals: 1 } }\n'),
      'risk[0].signoff',
      'a low tier cannot require sign-off (low means the paths need no manual sign-off)',
    ],
    [
      'min above max',
      minimal('  - name: a\n    branch: a\n    from: x\n    verify:\n      metrics: { url: "https://p.test", checks: [{ name: r, query: q, min: 2, max: 1 }] }\n'),
      'stages[0].verify.metrics.checks[0].min',
      'is above max (1): no value can pass',
    ],
  ];
  it.each(table)('%s', (_what, text, path, message) => {
    const r = parseConfig(text);
    if (r.ok) throw new Error('expected errors');
    expect(r.errors.find((e) => e.path === path)?.message).toBe(message);
  });

  it.each([
    ['a stage key at the top', minimal('  - { name: a, branch: a, from: x }\n', 'soak: 1h\n'), 'soak', 'unknown key "soak" here; it belongs in stages[]'],
    ['a deploy key in a stage', minimal('  - { name: a, branch: a, from: x, workflow: d.yml }\n'), 'stages[0].workflow', 'unknown key "workflow" here; it belongs in deploy'],
    [
      'a window key in a stage',
      minimal('  - { name: a, branch: a, from: x, timezone: UTC }\n'),
      'stages[0].timezone',
      'unknown key "timezone" here; it belongs in stages[].windows[] or stages[].freeze[] or rotation',
    ],
  ])('says where %s belongs', (_what, text, path, message) => {
    const r = parseConfig(text);
    if (r.ok) throw new Error('expected errors');
    expect(r.errors.find((e) => e.path === path)).toMatchObject({ message, line: expect.any(Number) });
  });

  it('suggests the stage a risk tier probably meant', () => {
    const r = parseConfig(minimal('  - { name: production, branch: p, from: x }\n', 'risk:\n  - { paths: [a], stages: [prod] }\n'));
    expect(r.ok ? null : r.errors[0]?.suggestion).toBe('production');
  });
});

describe('YAML problems', () => {
  const table: [string, string, number, string][] = [
    ['a duplicate key', 'stages: []\nstages: []\n', 2, 'the key "stages" appears twice in the same mapping (keep one)'],
    ['a tab indent', 'stages:\n\t- name: a\n', 2, 'a tab is used to indent; YAML indents with spaces only'],
    ['an unclosed quote', 'stages:\n  - name: "a\n', 3, 'a text in "double quotes" is not closed'],
    ['two documents', 'stages: []\n---\nrisk: []\n', 2, 'the file holds more than one YAML document (a second "---"); keep the configuration in one'],
    ['misaligned keys', 'deploy:\n  workflow: a\n ref: b\n', 3, 'the indentation is off: keys of one mapping (and items of one list) must start in the same column'],
    ['an alias with no anchor', 'stages: *x\n', 1, 'an alias (*name) refers to no anchor (&name)'],
    ['an empty file', '# nothing\n', 1, 'the file is empty'],
    ['a list at the top', '- a\n', 1, 'must be a mapping of keys (stages, risk, deploy), not a single value or a list'],
  ];
  it.each(table)('%s', (_what, text, line, message) => {
    const r = parseConfig(text);
    if (r.ok) throw new Error('expected errors');
    expect({ line: r.errors[0]?.line, message: r.errors[0]?.message }).toEqual({ line, message });
  });

  it('reads YAML 1.2: dates stay text, yes is not a boolean', () => {
    const r = parseConfig('stages:\n  - { name: a, branch: a, from: x, auto_rollback: yes, freeze: [{ from: 2026-12-20, to: 2026-12-21 }] }\n');
    if (r.ok) throw new Error('expected errors');
    expect(r.errors.map((e) => [e.path, e.message])).toEqual([['stages[0].auto_rollback', 'must be true or false, not the text "yes"']]);
  });
});

describe('failure kinds the configuration does not use yet get plain words too (new keys get them for free)', () => {
  const schema = z.strictObject({
    step: z.number().multipleOf(5).optional(),
    name: z.string().max(3).optional(),
    tags: z.array(z.string()).max(1).optional(),
    ratio: z.number().gt(0).lt(1).optional(),
    labels: z.record(z.string().regex(/^[a-z]+$/), z.string()).optional(),
    when: z.iso.datetime().optional(),
    mail: z.email().optional(),
    either: z.union([z.string(), z.number()]).optional(),
    plain: z
      .string()
      .refine((v) => v !== 'x')
      .optional(),
  });
  const table: [string, Record<string, unknown>, string, string][] = [
    ['not a multiple', { step: 7 }, 'step', 'must be a multiple of 5, not 7'],
    ['too long a text', { name: 'abcd' }, 'name', 'must be at most 3 characters long'],
    ['too many items', { tags: ['a', 'b'] }, 'tags', 'must list at most 1 item'],
    ['not more than', { ratio: 0 }, 'ratio', 'must be more than 0, not 0'],
    ['not less than', { ratio: 1 }, 'ratio', 'must be less than 1, not 1'],
    ['a key of a record', { labels: { A: 'b' } }, 'labels.A', 'is not an allowed key: must be in the expected form, not the text "A"'],
    ['a date-time format', { when: 'soon' }, 'when', 'must be a date-time such as 2026-12-20T18:00:00Z, not the text "soon"'],
    ['an email format', { mail: 'nobody' }, 'mail', 'must be an email address, not the text "nobody"'],
    ['a union of scalars', { either: true }, 'either', 'must be text or a number, not true'],
    ['a refinement without a message', { plain: 'x' }, 'plain', 'is not valid here'],
  ];
  it.each(table)('%s', (_what, value, path, message) => {
    const r = schema.safeParse(value, { reportInput: true, error: () => LIBRARY_DEFAULT });
    if (r.success) throw new Error('expected issues');
    const errors = r.error.issues.flatMap((i) =>
      issueErrors(
        i,
        [],
        () => ({ file: 'f', line: null, column: null }),
        () => [],
      ),
    );
    expect(errors.find((e) => e.path === path)?.message).toBe(message);
    for (const e of errors) expect(e.message).not.toMatch(LIBRARY_TEXT);
  });
});
