import { describe, expect, it } from '@jest/globals';
import { configSchema, promotionPrOf, RELEASE_NOTES_DEFAULTS } from '../../src/config/schema.js';
import { fakeCommit } from '../../src/facts/fake.js';
import { decideStanding, renderStandingBody, standingMarker, type StandingView } from '../../src/promotion/standing-pr.js';
import { buildReleaseNotes } from '../../src/release-notes/model.js';

const config = (promotion_pr: unknown) => configSchema.parse({ stages: [{ name: 'staging', branch: 'staging', from: 'master', promotion_pr }] });
const base = 'a'.repeat(40);
const head = 'b'.repeat(40);
const c1 = { ...fakeCommit(head, { author: 'carol', message: 'feat: cart' }), parents: [base] };
const notes = buildReleaseNotes({
  range: { from: base, to: head },
  commits: { complete: true, items: [c1] },
  pulls: { complete: true, items: [] },
  config: { stages: [], release_notes: RELEASE_NOTES_DEFAULTS },
});
const view = (cfg: ReturnType<typeof config>, over: Partial<StandingView> = {}): StandingView => ({
  stage: cfg.stages[0]!,
  settings: promotionPrOf(cfg.stages[0]!),
  repoUrl: 'https://github.com/acme/shop',
  base,
  head,
  ahead: 1,
  notes,
  ...over,
});

describe('standing promotion PR', () => {
  it('opens with the default title and a body listing what is pending, with the compare link', () => {
    const cfg = config('open');
    const a = decideStanding(view(cfg), null);
    expect(a).toMatchObject({ kind: 'open', title: 'Promote master → staging' });
    const body = (a as { body: string }).body;
    expect(body.startsWith(standingMarker('staging'))).toBe(true);
    expect(body).toContain('### Pending for `staging`: 1 commit outside a pull request by carol');
    expect(body).toContain(`[compare](https://github.com/acme/shop/compare/${base}...${head})`);
    expect(body).toContain('feat: cart — carol');
  });

  it('updates only when the body changed, and never a PR a person opened', () => {
    const cfg = config('open');
    const body = renderStandingBody(view(cfg));
    expect(decideStanding(view(cfg), { number: 5, body, ours: true })).toMatchObject({ kind: 'none', why: '#5 is current' });
    expect(decideStanding(view(cfg, { ahead: 2 }), { number: 5, body, ours: true })).toMatchObject({ kind: 'update', number: 5 });
    expect(decideStanding(view(cfg, { ahead: 2 }), { number: 5, body: 'mine', ours: false }).kind).toBe('none');
  });

  it('when nothing is pending: says so, or closes per when_empty; manual stages get nothing', () => {
    const keep = config({ mode: 'open', title: 'Ship {from} to {stage}', body: 'Owned by {branch} team' });
    expect(decideStanding(view(keep), null)).toMatchObject({ kind: 'open', title: 'Ship master to staging' });
    const empty = decideStanding(view(keep, { ahead: 0, base: head }), { number: 5, body: 'old', ours: true });
    expect(empty).toMatchObject({ kind: 'update' });
    expect((empty as { body: string }).body).toContain('### Nothing is pending for `staging`');
    expect((empty as { body: string }).body).toContain('Owned by staging team');
    const close = config({ mode: 'open', when_empty: 'close' });
    expect(decideStanding(view(close, { ahead: 0 }), { number: 5, body: 'old', ours: true })).toMatchObject({ kind: 'close', number: 5 });
    expect(decideStanding(view(close, { ahead: 0 }), null).kind).toBe('none');
    expect(decideStanding(view(config('manual')), null)).toMatchObject({ kind: 'none', why: 'stage staging has promotion_pr: manual' });
  });

  it('names the team on duty', () => {
    expect(renderStandingBody(view(config('open'), { duty: { team: '@acme/web', until: '2026-12-07 09:00 GMT+1 (Europe/Berlin)' } }))).toContain(
      '**On deploy duty:** `@acme/web` (until 2026-12-07 09:00 GMT+1 (Europe/Berlin))',
    );
  });
});
