import { beforeEach, describe, expect, it } from '@jest/globals';
import { GATE_MARKER } from '../../src/protocol/markers.js';
import { AppHarness, useAppHarness, ciCheck, promotion, review } from '../helpers/app-harness.js';

const harness = useAppHarness();
let h: AppHarness;
beforeEach(() => {
  h = harness();
});

describe('a range too large to evaluate', () => {
  it('fails closed past compare’s 10,000 commits, after one compare request, and says why', async () => {
    const commits = Array.from({ length: 10_001 }, () => ({}));
    const { number, head } = promotion(h.world, { commits });
    ciCheck(h.world, head);
    review(h.world, number, 'manager', 'APPROVED', head);
    await h.send('pull_request_review', h.reviewPayload('submitted', number, 'manager'));

    const check = h.world.gateCheck(head);
    expect(check).toMatchObject({ status: 'completed', conclusion: 'failure' });
    expect(check?.output?.summary).toContain('too large to evaluate: 10,001 commits / 1 file (limit: 10,000 commits, the most GitHub');
    expect(h.world.made('repos/compare-commits')).toHaveLength(1);
    const comment = h.world.commentsWith(number, GATE_MARKER)[0]!.body;
    expect(comment).toMatch(/Separation of duties \| blocked \| could not read every commit .*too large to evaluate: 10,001 commits/);
  });
});
