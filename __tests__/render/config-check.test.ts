import { describe, expect, it } from '@jest/globals';
import { parseConfig } from '../../src/config/load.js';
import { renderConfigCheck } from '../../src/render/config-check.js';

const origin = { ref: 'abc', fellBack: false };

describe('the stagegate/config check output', () => {
  it('succeeds for a valid policy and lists its stages', () => {
    const r = parseConfig(
      'stages:\n  - { name: staging, branch: staging, from: master, checks: [build] }\n  - { name: production, branch: production, from: staging, verified_in: staging, soak: 1h30m }\n',
    );
    if (!r.ok) throw new Error('expected valid');
    const out = renderConfigCheck({ kind: 'ok', config: r.config, origin }, { baseRef: 'master' });
    expect(out).toMatchObject({ conclusion: 'success', title: '.github/stagegate.yml is valid: 2 stages', annotations: [] });
    expect(out.summary).toContain('| `staging` | `master` → `staging` | 1 | `build` | — |');
    expect(out.summary).toContain('| `production` | `staging` → `production` | 1 | — | `staging` + 1h30m |');
  });

  it('fails an invalid policy with one annotation per problem in the file, and names problems elsewhere in the summary only', () => {
    const errors = [
      { file: '.github/stagegate.yml', line: 4, column: 7, path: 'stages[0].aprovals', message: 'unknown key "aprovals"', suggestion: 'approvals' },
      { file: '.github/stagegate.yml', line: null, column: null, path: '', message: 'the file is empty' },
      { file: 'acme/.github:.github/stagegate.yml', line: 2, column: 3, path: 'stages[0].soak', message: 'needs verified_in' },
    ];
    const out = renderConfigCheck({ kind: 'invalid', errors, origin }, { baseRef: 'master' });
    expect(out.conclusion).toBe('failure');
    expect(out.title).toBe('3 problems in .github/stagegate.yml');
    expect(out.annotations).toEqual([
      {
        path: '.github/stagegate.yml',
        start_line: 4,
        end_line: 4,
        start_column: 7,
        end_column: 7,
        annotation_level: 'failure',
        title: 'stages[0].aprovals',
        message: 'unknown key "aprovals" (did you mean "approvals"?)',
      },
      { path: '.github/stagegate.yml', start_line: 1, end_line: 1, annotation_level: 'failure', title: 'stagegate.yml', message: 'the file is empty' },
    ]);
    expect(out.summary).toContain('- `acme/.github:.github/stagegate.yml:2:3: stages[0].soak: needs verified_in`');
    expect(out.summary).toContain('1 of them is in the `_extends` file, outside this pull request.');
  });

  it('is neutral, and says what follows, when the pull request deletes the policy', () => {
    const out = renderConfigCheck({ kind: 'deleted' }, { baseRef: 'staging' });
    expect(out.conclusion).toBe('neutral');
    expect(out.summary).toMatch(/Once it is merged into `staging`, Stagegate reads the default branch's file/);
  });
});
