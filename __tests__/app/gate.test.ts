import { beforeEach, describe, expect, it } from '@jest/globals';
import { GATE_MARKER } from '../../src/protocol/markers.js';
import { AppHarness, useAppHarness, POLICY, ciCheck, example, promotion, review, sha } from '../helpers/app-harness.js';

function checkRunPayload(name: string, headSha: string, pullRequests: unknown[]): Record<string, any> {
  const e = h.dress(example('check_run', 'completed'));
  e.check_run = { ...e.check_run, name, head_sha: headSha, status: 'completed', conclusion: 'success', pull_requests: pullRequests };
  return e;
}

const harness = useAppHarness();
let h: AppHarness;
beforeEach(() => {
  h = harness();
});
const records = (kind?: string) => h.records(kind);

describe('promotion gate', () => {
  it('posts a pending check and one comment, then turns green on an eligible approval of the head', async () => {
    const { number, head, base } = promotion(h.world);
    ciCheck(h.world, head);
    await h.send('pull_request', h.pullPayload('opened', number));

    const pending = h.world.gateCheck(head);
    expect(pending).toMatchObject({ status: 'in_progress', conclusion: null });
    expect(pending?.output?.title).toMatch(/^production: pending — approvals/);
    const comments = h.world.commentsWith(number, GATE_MARKER);
    expect(comments).toHaveLength(1);
    expect(comments[0]!.body).toContain(`[compare](https://github.com/acme/app/compare/${base}...${head})`);
    expect(comments[0]!.body).toContain('1 commit');

    review(h.world, number, 'manager', 'APPROVED', head);
    await h.send('pull_request_review', h.reviewPayload('submitted', number, 'manager'));

    expect(h.world.gateCheck(head)).toMatchObject({ status: 'completed', conclusion: 'success' });
    const after = h.world.commentsWith(number, GATE_MARKER);
    expect(after).toHaveLength(1);
    expect(after[0]!.body).toContain('✅ @manager approved');
    expect((await records('approval.counted')).map((r) => r.actor)).toEqual(['manager']);
  });

  it('records every change of the gate result, including a return to an earlier state, and no replay', async () => {
    const { number, head } = promotion(h.world);
    ciCheck(h.world, head);
    await h.send('pull_request', h.pullPayload('opened', number));
    review(h.world, number, 'manager', 'APPROVED', head);
    await h.send('pull_request_review', h.reviewPayload('submitted', number, 'manager'), 'review-1');
    review(h.world, number, 'carol', 'CHANGES_REQUESTED', head);
    await h.send('pull_request_review', h.reviewPayload('submitted', number, 'carol'));
    h.world.reviews.get(number)!.find((r) => r.user === 'carol')!.state = 'DISMISSED';
    await h.send('pull_request_review', h.reviewPayload('dismissed', number, 'carol'));
    await h.send('pull_request_review', h.reviewPayload('submitted', number, 'manager'), 'review-1');

    const states = (await records('gate.result')).map((r) => r.details.state);
    expect(states).toEqual(['pending', 'passed', 'blocked', 'passed']);
  });

  it('does not count an approval of an older head', async () => {
    const { number, head } = promotion(h.world, { commits: [{}, {}] });
    ciCheck(h.world, head);
    const older = sha('pr7-commit-0');
    review(h.world, number, 'manager', 'APPROVED', older);
    await h.send('pull_request_review', h.reviewPayload('submitted', number, 'manager'));

    expect(h.world.gateCheck(head)?.conclusion).toBeNull();
    expect(h.world.commentsWith(number, GATE_MARKER)[0]!.body).toMatch(/@manager — not counted: approved an older commit/);
    const refused = await records('approval.refused');
    expect(refused.map((r) => [r.actor, r.details.refusal])).toEqual([['manager', 'stale-commit']]);
  });

  it("does not count a commit author's approval", async () => {
    const { number, head } = promotion(h.world, { commits: [{ author: { login: 'carol', name: 'Carol', email: 'carol@example.com', date: '2026-11-20T09:00:00Z' } }] });
    ciCheck(h.world, head);
    review(h.world, number, 'carol', 'APPROVED', head);
    await h.send('pull_request_review', h.reviewPayload('submitted', number, 'carol'));

    expect(h.world.gateCheck(head)?.conclusion).toBeNull();
    expect((await records('approval.refused')).map((r) => r.details.refusal)).toEqual(['author']);
  });

  it("does not count a co-author's approval (Co-authored-by trailer)", async () => {
    const { number, head } = promotion(h.world, {
      commits: [{ message: 'Pair on checkout\n\nCo-authored-by: Dave <12345+dave@users.noreply.github.com>' }],
    });
    ciCheck(h.world, head);
    review(h.world, number, 'dave', 'APPROVED', head);
    await h.send('pull_request_review', h.reviewPayload('submitted', number, 'dave'));

    expect(h.world.gateCheck(head)?.conclusion).toBeNull();
    expect((await records('approval.refused')).map((r) => r.details.refusal)).toEqual(['co-author']);
  });

  it('counts only reviewers with write access when the stage lists none (a reader on a public repo does not count)', async () => {
    const { number, head } = promotion(h.world, { from: 'master', to: 'staging' });
    h.world.files.set('staging', new Map([['.github/stagegate.yml', POLICY]]));
    h.world.permissions.set('stranger', 'read');
    review(h.world, number, 'stranger', 'APPROVED', head);
    await h.send('pull_request_review', h.reviewPayload('submitted', number, 'stranger'));
    expect(h.world.gateCheck(head)?.conclusion).toBeNull();
    expect((await records('approval.refused')).map((r) => [r.actor, r.details.refusal])).toEqual([['stranger', 'not-eligible']]);

    review(h.world, number, 'bob', 'APPROVED', head);
    await h.send('pull_request_review', h.reviewPayload('submitted', number, 'bob'));
    expect(h.world.gateCheck(head)?.conclusion).toBe('success');
  });

  it('reads a 300-commit range completely (an author at commit 290 is still excluded)', async () => {
    const commits = Array.from({ length: 300 }, (_, i) => (i === 289 ? { author: { login: 'erin', name: 'Erin', email: 'erin@example.com', date: '2026-11-20T09:00:00Z' } } : {}));
    const { number, head, base } = promotion(h.world, { commits });
    ciCheck(h.world, head);
    review(h.world, number, 'erin', 'APPROVED', head);
    await h.send('pull_request_review', h.reviewPayload('submitted', number, 'erin'));

    const pages = h.world.made('repos/compare-commits').map((r) => r.query.page);
    expect(pages).toEqual(['1', '2', '3']);
    expect(h.world.gateCheck(head)?.conclusion).toBeNull();
    expect((await records('approval.refused')).map((r) => r.details.refusal)).toEqual(['author']);
    const commitsRecord = await records('promotion.commits');
    expect((commitsRecord[0]!.details.commits as unknown[]).length).toBe(300);
    expect(h.world.commentsWith(number, GATE_MARKER)[0]!.body).toContain(`\`${base.slice(0, 7)}..${head.slice(0, 7)}\``);
  });

  it('ignores a fork PR whatever its branch names, without a single request', async () => {
    const { number } = promotion(h.world, { forkOwner: 'mallory' });
    await h.send('pull_request', h.pullPayload('opened', number));
    expect(h.world.requests).toEqual([]);
    expect(h.world.checkRuns).toEqual([]);
    expect(h.handled.at(-1)).toMatchObject({ outcome: 'ignored', why: 'fork pull requests are never promotions' });
  });

  it('ignores a config change in the PR head: policy is read from the base branch only', async () => {
    const { number, head } = promotion(h.world);
    ciCheck(h.world, head);
    const permissive = 'stages:\n  - { name: production, branch: production, from: staging, signoff: { approvals: 0 } }\n';
    h.world.files.set('staging', new Map([['.github/stagegate.yml', permissive]]));
    h.world.files.set(head, new Map([['.github/stagegate.yml', permissive]]));
    await h.send('pull_request', h.pullPayload('synchronize', number));

    expect(h.world.gateCheck(head)?.conclusion).toBeNull();
    const refs = h.world.made('repos/get-content').map((r) => r.query.ref);
    expect(refs).toEqual(['production']);
  });

  it('turns bad YAML on the base branch into a failing check that names the line', async () => {
    const { number, head } = promotion(h.world);
    h.world.files.set('production', new Map([['.github/stagegate.yml', 'stages:\n  - name: production\n    branch: [production\n']]));
    await h.send('pull_request', h.pullPayload('opened', number));

    const check = h.world.gateCheck(head);
    expect(check?.conclusion).toBe('failure');
    expect(check?.output?.title).toMatch(/^Invalid configuration/);
    expect(check?.output?.summary).toMatch(/\.github\/stagegate\.yml:4:\d+: a list written in \[brackets\] is not closed/);
    expect(h.world.deployments).toEqual([]);
  });

  it('names the key and suggests the near miss for an unknown key', async () => {
    const { number, head } = promotion(h.world);
    h.world.files.set('production', new Map([['.github/stagegate.yml', 'stages:\n  - name: production\n    branch: production\n    from: staging\n    signoff: { aprovals: 2 }\n']]));
    await h.send('pull_request', h.pullPayload('opened', number));
    expect(h.world.gateCheck(head)?.output?.summary).toContain('.github/stagegate.yml:5:16: stages[0].signoff.aprovals: unknown key "aprovals" (did you mean "approvals"?)');
  });

  it('blocks when a change is requested by an eligible reviewer, even with enough approvals', async () => {
    const { number, head } = promotion(h.world);
    ciCheck(h.world, head);
    review(h.world, number, 'manager', 'APPROVED', head);
    review(h.world, number, 'carol', 'CHANGES_REQUESTED', head);
    await h.send('pull_request_review', h.reviewPayload('submitted', number, 'carol'));
    expect(h.world.gateCheck(head)?.conclusion).toBe('failure');
  });

  it('is not green when GitHub fails while reading the facts', async () => {
    const { number, head } = promotion(h.world);
    ciCheck(h.world, head);
    review(h.world, number, 'manager', 'APPROVED', head);
    await h.send('pull_request_review', h.reviewPayload('submitted', number, 'manager'));
    expect(h.world.gateCheck(head)?.conclusion).toBe('success');

    h.world.failures.set('pulls/list-reviews', 502);
    await h.send('pull_request_review', h.reviewPayload('dismissed', number, 'manager'));
    const check = h.world.gateCheck(head);
    expect(check?.conclusion).toBe('failure');
  });

  it('revokes a green check when the base is retargeted so the PR is no longer a promotion', async () => {
    const { number, head } = promotion(h.world);
    ciCheck(h.world, head);
    review(h.world, number, 'manager', 'APPROVED', head);
    await h.send('pull_request_review', h.reviewPayload('submitted', number, 'manager'));
    expect(h.world.gateCheck(head)?.conclusion).toBe('success');

    h.world.pulls.get(number)!.base.ref = 'release';
    h.world.files.set('release', new Map([['.github/stagegate.yml', h.world.files.get('production')!.get('.github/stagegate.yml')!]]));
    await h.send('pull_request', h.pullPayload('edited', number, { changes: { base: { ref: { from: 'production' }, sha: { from: sha('base-7') } } } }));
    expect(h.world.gateCheck(head)).toMatchObject({ conclusion: 'failure', output: { title: 'Not a promotion' } });
  });

  it('re-evaluates under the new stage when retargeted from staging to production', async () => {
    const { number, head } = promotion(h.world, { from: 'staging', to: 'staging-like' });
    h.world.files.set('staging-like', new Map([['.github/stagegate.yml', 'stages:\n  - { name: qa, branch: staging-like, from: staging, signoff: { approvals: 0 } }\n']]));
    await h.send('pull_request', h.pullPayload('opened', number));
    expect(h.world.gateCheck(head)?.conclusion).toBe('success');

    h.world.pulls.get(number)!.base.ref = 'production';
    h.world.files.set('production', new Map([['.github/stagegate.yml', POLICY]]));
    await h.send('pull_request', h.pullPayload('edited', number, { changes: { base: { ref: { from: 'staging-like' }, sha: { from: sha('base-7') } } } }));
    const check = h.world.gateCheck(head);
    expect(check?.output?.title).toMatch(/^production:/);
    expect(check?.conclusion).toBeNull();
  });
});

describe('time', () => {
  it('re-evaluates by itself when a deploy window opens', async () => {
    const windowed = POLICY.replace('    checks: [build]\n', '    checks: [build]\n    windows:\n      - { days: [mon, tue, wed, thu, fri], hours: "09:00-16:00", timezone: Europe/Berlin }\n');
    const { number, head } = promotion(h.world);
    h.world.files.set('production', new Map([['.github/stagegate.yml', windowed]]));
    ciCheck(h.world, head);
    review(h.world, number, 'manager', 'APPROVED', head);
    h.now = new Date('2026-11-24T06:00:00Z'); // Tuesday 07:00 in Berlin
    await h.send('pull_request', h.pullPayload('opened', number));
    expect(h.world.gateCheck(head)?.conclusion).toBeNull();
    const pending = h.scheduled.filter((s) => !s.cancelled);
    expect(pending.map((s) => s.at.toISOString())).toEqual(['2026-11-24T08:00:01.000Z']);

    h.now = new Date('2026-11-24T08:00:01Z');
    pending[0]!.cancelled = true;
    pending[0]!.task();
    for (let i = 0; i < 100 && !h.scheduled.some((s) => !s.cancelled); i++) await new Promise((r) => setTimeout(r, 50));
    expect(h.world.gateCheck(head)?.conclusion).toBe('success');
    // Inside the window the next change is its close at 16:00 Berlin.
    expect(h.scheduled.filter((s) => !s.cancelled).map((s) => s.at.toISOString())).toEqual(['2026-11-24T15:00:01.000Z']);
  });
});

describe('events that cannot change the gate', () => {
  it('costs no GitHub request for a title edit', async () => {
    const { number } = promotion(h.world);
    await h.send('pull_request', h.pullPayload('edited', number, { changes: { title: { from: 'old' } } }));
    expect(h.world.requests).toEqual([]);
  });

  it('costs no GitHub request for a check no stage requires, once the policy is known', async () => {
    const { number, head } = promotion(h.world);
    await h.send('pull_request', h.pullPayload('opened', number));
    const before = h.world.requests.length;
    await h.send('check_run', checkRunPayload('lint', head, []));
    expect(h.world.requests.length).toBe(before);
    expect(h.handled.at(-1)).toMatchObject({ outcome: 'ignored', why: 'no stage requires the check "lint"' });
  });

  it('costs no GitHub request for our own check run completing', async () => {
    promotion(h.world);
    await h.send('check_run', checkRunPayload('stagegate', sha('x'), []));
    expect(h.world.requests).toEqual([]);
  });

  it('ignores its own check suite completing (which would otherwise loop forever) without a request', async () => {
    const { head } = promotion(h.world);
    const e = h.dress(example('check_suite', 'completed'));
    e.check_suite = { ...e.check_suite, head_sha: head, app: { ...e.check_suite.app, id: 123 }, pull_requests: [] };
    await h.send('check_suite', e);
    expect(h.world.requests).toEqual([]);
    expect(h.handled.at(-1)).toMatchObject({ outcome: 'ignored', why: 'our own check suite' });
  });

  it('does not publish the same result twice on a head', async () => {
    const { number, head } = promotion(h.world);
    ciCheck(h.world, head);
    await h.send('pull_request', h.pullPayload('opened', number));
    await h.send('pull_request', h.pullPayload('synchronize', number));
    expect(h.world.checkRuns.filter((c) => c.name === 'stagegate' && c.head_sha === head)).toHaveLength(1);
    review(h.world, number, 'manager', 'APPROVED', head);
    await h.send('pull_request_review', h.reviewPayload('submitted', number, 'manager'));
    expect(h.world.checkRuns.filter((c) => c.name === 'stagegate' && c.head_sha === head).map((c) => c.conclusion)).toEqual([null, 'success']);
  });

  it('re-evaluates when a required check completes', async () => {
    const { number, head } = promotion(h.world);
    review(h.world, number, 'manager', 'APPROVED', head);
    await h.send('pull_request', h.pullPayload('opened', number));
    expect(h.world.gateCheck(head)?.conclusion).toBeNull();
    ciCheck(h.world, head);
    await h.send('check_run', checkRunPayload('build', head, [{ number, head: { sha: head, repo: { id: 1 } }, base: { repo: { id: 1 } } }]));
    expect(h.world.gateCheck(head)?.conclusion).toBe('success');
  });
});
