import { describe, expect, it } from '@jest/globals';
import { parseCommandFile, substitute, workflowIdOf } from '../../sandbox/runner/workflow-runner.js';
import { markdownToHtml } from '../../sandbox/transcript.js';
import { matchRoute } from '../../sandbox/routes/index.js';

const ctx = {
  inputs: { environment: 'staging', sha: 'abc' },
  token: 'ghs_t',
  secrets: new Map([['DEPLOY_KEY', 'k']]),
  sha: 'f'.repeat(40),
  ref: 'refs/heads/staging',
  repository: 'acme/shop',
  actor: 'stagegate[bot]',
  runId: 7,
  stepOutputs: (id: string) => (id === 'gate' ? { result: 'success', 'reason-code': 'ok' } : undefined),
};

describe('workflow expressions', () => {
  it('substitutes inputs, tokens, secrets, github context and step outputs', () => {
    expect(substitute('${{ inputs.environment }}/${{ github.event.inputs.sha }}', ctx)).toBe('staging/abc');
    expect(substitute('${{ github.token }} ${{ secrets.GITHUB_TOKEN }} ${{ secrets.DEPLOY_KEY }} ${{ secrets.MISSING }}', ctx)).toBe('ghs_t ghs_t k ');
    expect(substitute('${{ github.ref_name }}@${{ github.repository }} by ${{ github.actor }} #${{ github.run_id }}', ctx)).toBe('staging@acme/shop by stagegate[bot] #7');
    expect(substitute('${{ steps.gate.outputs.reason-code }}', ctx)).toBe('ok');
  });

  it('fails closed on an expression it does not know', () => {
    expect(() => substitute("${{ contains(github.ref, 'main') }}", ctx)).toThrow(/unsupported expression/);
    expect(() => substitute('${{ vars.URL }}', ctx)).toThrow(/unsupported expression/);
  });
});

describe('GITHUB_OUTPUT files', () => {
  it('parses k=v lines and heredoc blocks, later values winning', () => {
    const text = 'result=failure\nreport<<EOF_1\n{"a":1}\nline=two\nEOF_1\nresult=success\nempty=\n';
    expect(parseCommandFile(text)).toEqual({ result: 'success', report: '{"a":1}\nline=two', empty: '' });
  });

  it('gives workflow files stable numeric ids', () => {
    expect(workflowIdOf('.github/workflows/a.yml')).toBe(workflowIdOf('.github/workflows/a.yml'));
    expect(workflowIdOf('.github/workflows/a.yml')).not.toBe(workflowIdOf('.github/workflows/b.yml'));
  });
});

describe('routing over GitHub path templates', () => {
  it('extracts multi-segment paths and encoded refs', () => {
    expect(matchRoute('GET', '/repos/acme/shop/contents/.github/stagegate.yml')?.params).toMatchObject({ owner: 'acme', repo: 'shop', path: '.github/stagegate.yml' });
    expect(matchRoute('GET', '/repos/acme/shop/branches/feature%2Fx')?.params.branch).toBe('feature/x');
    expect(matchRoute('GET', '/repos/acme/shop/compare/staging...feature%2Fx')?.params.basehead).toBe('staging...feature/x');
    expect(matchRoute('GET', '/repos/acme/shop/commits/abc/check-runs')?.params.ref).toBe('abc');
    expect(matchRoute('GET', '/repos/acme/shop/not-a-thing')).toBeNull();
  });
});

describe('transcript markdown', () => {
  it('renders tables, headings, lists and allowed inline HTML; escapes everything else', () => {
    const html = markdownToHtml(
      '<!-- marker -->\n## ✅ Gate\n\n| Rule | State |\n| --- | --- |\n| &nbsp;Approvals | passed |\n\n- one `code`\n- **two**\n\n<details><summary>More</summary>\n\n<script>alert(1)</script>',
    );
    expect(html).not.toContain('marker');
    expect(html).toContain('<h2>✅ Gate</h2>');
    expect(html).toContain('<td>&nbsp;Approvals</td>');
    expect(html).toContain('<li>one <code>code</code></li>');
    expect(html).toContain('<strong>two</strong>');
    expect(html).toContain('<details><summary>More</summary>');
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;');
  });
});
