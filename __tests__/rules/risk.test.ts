import { describe, expect, it } from '@jest/globals';
import { fakeFacts, type FakeFactsInput } from '../../src/facts/fake.js';
import { assessRisk, matchRisk, riskRule } from '../../src/rules/risk.js';
import { ctxOf, productConfig, stageOf } from './support.js';

describe('risk', () => {
  it.each<[string, string, NonNullable<FakeFactsInput['files']>, { name: string; files: string[] }[], boolean]>([
    ['payments touched in production', 'production', ['src/payments/charge.ts', 'src/app.ts'], [{ name: 'payments', files: ['src/payments/charge.ts'] }], false],
    ['the payments tier does not apply to staging', 'staging', ['src/payments/charge.ts'], [], false],
    ['docs only', 'production', ['docs/guide.md', 'README.md', 'src/lib/NOTES.md'], [{ name: 'docs', files: ['docs/guide.md', 'README.md', 'src/lib/NOTES.md'] }], true],
    ['dot paths match (dot: true)', 'production', ['docs/.vitepress/config.md', '.github/CONTRIBUTING.md'], [{ name: 'docs', files: ['docs/.vitepress/config.md', '.github/CONTRIBUTING.md'] }], true],
    ['docs and code', 'production', ['docs/guide.md', 'src/app.ts'], [{ name: 'docs', files: ['docs/guide.md'] }], false],
    [
      'a markdown file inside payments touches both tiers: not low-only',
      'production',
      ['src/payments/README.md'],
      [
        { name: 'payments', files: ['src/payments/README.md'] },
        { name: 'docs', files: ['src/payments/README.md'] },
      ],
      false,
    ],
    [
      'a file renamed out of migrations touches payments',
      'production',
      [{ filename: 'old/0001.sql', status: 'renamed', previousFilename: 'migrations/0001.sql' }],
      [{ name: 'payments', files: ['old/0001.sql'] }],
      false,
    ],
    ['code renamed into docs is not low-only', 'production', [{ filename: 'docs/tool.md', status: 'renamed', previousFilename: 'src/tool.ts' }], [{ name: 'docs', files: ['docs/tool.md'] }], false],
    ['nothing changed is not low-only', 'production', [], [], false],
  ])('%s', async (_name, stage, files, touched, lowOnly) => {
    const { result, summary } = await assessRisk(ctxOf(productConfig(), stage, fakeFacts({ files })));
    expect(result.state).toBe('passed');
    expect(summary?.touched.map(({ name, files: f }) => ({ name, files: f }))).toEqual(touched);
    expect(summary?.lowOnly).toBe(lowOnly);
  });

  it('names tiers with their level and files in the reason', async () => {
    const { result } = await assessRisk(ctxOf(productConfig(), 'production', fakeFacts({ files: ['migrations/1.sql', 'migrations/2.sql', 'migrations/3.sql', 'migrations/4.sql'] })));
    expect(result.reason).toBe('touches payments [normal] (4 files: migrations/1.sql, migrations/2.sql, migrations/3.sql, +1 more)');
  });

  it('uses the globs as the name of an unnamed tier', () => {
    const config = productConfig({ risk: [{ paths: ['infra/**', '*.tf'], level: 'high' }] });
    const { summary } = matchRisk([{ filename: 'main.tf', status: 'added' }], config, stageOf(config, 'staging'));
    expect(summary.touched).toEqual([{ name: 'infra/**, *.tf', level: 'high', files: ['main.tf'] }]);
  });

  it.each<[string, Partial<FakeFactsInput>, string]>([
    [
      'an incomplete file listing',
      { incomplete: { files: 'more than 3000 files and the commits could not be read' } },
      'could not read every changed file (more than 3000 files and the commits could not be read)',
    ],
    ['files() throwing', { errors: { files: 'HTTP 500' } }, 'could not read changed file: HTTP 500'],
  ])('%s blocks', async (_name, extra, reason) => {
    const facts = fakeFacts({ files: ['docs/a.md'], ...extra });
    const { result, summary } = await assessRisk(ctxOf(productConfig(), 'production', facts));
    expect(result).toMatchObject({ state: 'blocked', reason });
    expect(summary).toBeNull();
    expect((await riskRule.evaluate(ctxOf(productConfig(), 'production', facts))).state).toBe('blocked');
  });

  it('applies to every stage: the built-in policy tier always does', () => {
    const config = productConfig({ risk: [] });
    expect(riskRule.applies(stageOf(config, 'staging'), config)).toBe(true);
    expect(riskRule.applies(stageOf(config, 'production'), config)).toBe(true);
  });

  it.each<[string, string[]]>([
    ['the policy file', ['.github/stagegate.yml']],
    ['a workflow', ['.github/workflows/stagegate-deploy.yml']],
    ['the policy among docs', ['docs/guide.md', '.github/stagegate.yml']],
  ])('a change to %s is a high-risk tier that no low tier can declare low, and the reason says so', async (_name, files) => {
    // Even a low tier that matches every YAML file cannot make a policy change low-risk.
    const config = productConfig({ risk: [{ name: 'docs and config', paths: ['docs/**', '**/*.yml', '**/*.md'], level: 'low' }] });
    const { result, summary } = await assessRisk(ctxOf(config, 'staging', fakeFacts({ files })));
    expect(summary?.lowOnly).toBe(false);
    expect(summary?.policyChanged).toEqual(files.filter((f) => f.startsWith('.github/')));
    expect(summary?.touched[0]).toMatchObject({ name: 'Stagegate policy and workflows', level: 'high' });
    expect(result.reason).toContain("this promotion changes Stagegate's policy or a workflow");
  });
});
