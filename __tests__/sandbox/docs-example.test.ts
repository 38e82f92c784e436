import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { quickstart } from '../../sandbox/examples/quickstart.js';

const between = (text: string): string => {
  const m = /\/\/ example:start\n([\s\S]*?)\/\/ example:end/.exec(text);
  if (!m?.[1]) throw new Error('no example markers');
  return m[1].trim();
};

describe('the docs/sandbox.md example', () => {
  it('is sandbox/examples/quickstart.ts verbatim', () => {
    const docs = readFileSync(new URL('../../docs/sandbox.md', import.meta.url), 'utf8');
    const block = /<!-- example: sandbox\/examples\/quickstart\.ts -->\n```ts\n([\s\S]*?)```/.exec(docs)?.[1];
    expect(block?.trim()).toBe(between(readFileSync(new URL('../../sandbox/examples/quickstart.ts', import.meta.url), 'utf8')));
  });

  it('runs: the promotion PR is merged with a real merge commit and its webhooks are recorded', async () => {
    const r = await quickstart();
    expect(r.mergeSha).toMatch(/^[0-9a-f]{40}$/);
    expect(r.merged).toBe(true);
    expect(r.events).toEqual(expect.arrayContaining(['pull_request.opened', 'pull_request_review.submitted', 'check_run.created', 'pull_request.closed']));
  });
});
