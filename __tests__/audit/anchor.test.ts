import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { anchorText, parseAnchorText, withAnchor, withoutAnchor, type AuditAnchor } from '../../src/audit/anchor.js';
import { verifyAnchors, type FoundAnchor } from '../../src/audit/anchor-verify.js';
import { verifyChain } from '../../src/audit/verify.js';
import { scenarioEvents } from './scenario.js';
import { rehashedRewriteSql, storeBackends, type FreshStore } from './stores.js';

const HASH = 'ab'.repeat(32);

describe('anchor text', () => {
  it('round-trips through a check output and is removed for fingerprints', () => {
    const a: AuditAnchor = { repository: 'acme/shop', seq: 12, hash: HASH };
    const out = withAnchor({ summary: 'gate', text: 'details' }, a);
    expect(out.text).toBe(`details\n\n${anchorText(a)}`);
    expect(parseAnchorText(out.text)).toEqual([a]);
    expect(withoutAnchor(out.text)).toBe('details');
    expect(withAnchor({ summary: 's' }, null)).toEqual({ summary: 's' });
  });

  it('keeps the output within GitHub’s limit, cutting the text rather than the anchor', () => {
    const a: AuditAnchor = { repository: 'acme/shop', seq: 1, hash: HASH };
    const out = withAnchor({ summary: 's', text: 'x'.repeat(65535) }, a);
    expect(out.text.length).toBeLessThanOrEqual(65535);
    expect(parseAnchorText(out.text)).toEqual([a]);
  });

  it.each([
    ['no marker', 'just text'],
    ['a short hash', `<!-- stagegate:audit-anchor {"repository":"a/b","seq":1,"hash":"abc"} -->`],
    ['seq 0', `<!-- stagegate:audit-anchor {"repository":"a/b","seq":0,"hash":"${HASH}"} -->`],
    ['bad JSON', '<!-- stagegate:audit-anchor {repository} -->'],
  ])('ignores %s', (_what, text) => {
    expect(parseAnchorText(text)).toEqual([]);
  });
});

describe.each(storeBackends())('verify against anchors: %s', (_name, backend) => {
  let fresh: FreshStore;
  let anchors: FoundAnchor[];
  beforeAll(() => backend.start(), 60_000);
  afterAll(() => backend.stop());
  beforeEach(async () => {
    fresh = await backend.fresh();
    const store = await fresh.open();
    anchors = [];
    try {
      for (const [i, e] of scenarioEvents().entries()) {
        await store.append(e);
        // The app publishes the head now and then (a check run, a deployment payload).
        const head = await store.head('acme/shop');
        if (e.repository === 'acme/shop' && head && (i === 5 || i === 14)) anchors.push({ repository: 'acme/shop', ...head, source: `check run ${i}` });
      }
    } finally {
      await store.close();
    }
  });

  const check = async (list: FoundAnchor[] = anchors) => {
    const store = await fresh.open();
    try {
      return { chain: await verifyChain(store, 'acme/shop'), anchors: await verifyAnchors(store, 'acme/shop', list) };
    } finally {
      await store.close();
    }
  };

  it('finds the stored chain matching every anchor, and says how many records are not anchored yet', async () => {
    const r = await check();
    expect(r.anchors).toMatchObject({ anchors: 2, problem: null, newest: { seq: 15, source: 'check run 14' }, unanchoredRecords: 2 });
  });

  it('detects a whole-chain rewrite with recomputed hashes, which the chain alone cannot', async () => {
    const store = await fresh.open();
    const sql = await rehashedRewriteSql(store, 'acme/shop', 2, 'mallory').finally(() => store.close());
    await fresh.tamper(sql);
    const r = await check();
    expect(r.chain.problem).toBeNull();
    expect(r.anchors.problem).toMatchObject({ kind: 'rewritten', seq: 6, source: 'check run 5' });
    expect(r.anchors.problem?.message).toMatch(/the chain was rewritten at or before record 6/);
  });

  it('detects that the newest records were removed', async () => {
    await fresh.tamper([`DELETE FROM audit_records WHERE repository = 'acme/shop' AND seq > 12`]);
    const r = await check();
    expect(r.chain.problem).toBeNull();
    expect(r.anchors.problem).toMatchObject({ kind: 'truncated', seq: 15 });
    expect(r.anchors.problem?.message).toMatch(/the stored chain ends at 12: its newest records were removed/);
  });

  it('calls a chain with records but no anchor unanchored', async () => {
    const r = await check([]);
    expect(r.anchors.problem).toMatchObject({ kind: 'unanchored' });
  });
});
