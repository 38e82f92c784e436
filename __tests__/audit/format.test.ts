import { describe, expect, it } from '@jest/globals';
import { csvField } from '../../src/audit/export.js';
import { canonicalJson, deploymentIdOf, recordHash } from '../../src/audit/hash.js';
import { resolveAuditStoreTarget } from '../../src/audit/open.js';
import { parseTimeBound } from '../../src/cli/stagegate.js';

describe('canonical JSON and the record hash', () => {
  it('sorts keys at every depth and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 0, y: undefined, x: 'é' }], c: null } })).toBe('{"a":{"c":null,"d":[3,{"x":"é","z":0}]},"b":1}');
  });

  it('refuses values JSON would silently change', () => {
    expect(() => canonicalJson({ n: Infinity })).toThrow(/\$\.n: Infinity/);
    expect(() => canonicalJson({ b: 1n })).toThrow(/bigint/);
    expect(() => canonicalJson({ m: new Map() })).toThrow(/plain objects/);
  });

  it('changes when any hashed field or the previous hash changes', () => {
    const base = {
      key: 'k',
      repository: 'a/b',
      stage: 's',
      pullRequest: 1,
      baseSha: 'x',
      headSha: 'y',
      actor: 'me',
      kind: 'gate.result',
      at: '2026-11-22T00:00:00.000Z',
      recordedAt: '2026-11-22T00:00:01.000Z',
      details: '{}',
      prevHash: '0'.repeat(64),
    };
    const h = recordHash(base);
    const variants = Object.keys(base).map((k) => recordHash({ ...base, [k]: k === 'pullRequest' ? 2 : `${String(base[k as keyof typeof base])}!` }));
    expect(new Set([h, ...variants]).size).toBe(variants.length + 1);
  });

  it('indexes deployment ids as strings', () => {
    expect(deploymentIdOf({ deploymentId: 42 })).toBe('42');
    expect(deploymentIdOf({ deploymentId: '42' })).toBe('42');
    expect(deploymentIdOf({ deploymentId: null })).toBeNull();
    expect(deploymentIdOf([])).toBeNull();
  });
});

describe('CSV fields (RFC 4180)', () => {
  it.each([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    ['=HYPERLINK("x")', `"'=HYPERLINK(""x"")"`],
    ['@admin', "'@admin"],
    [null, ''],
    [12, '12'],
    [false, 'false'],
  ])('%j -> %s', (value, out) => {
    expect(csvField(value)).toBe(out);
  });
});

describe('export time bounds', () => {
  it('reads a day as UTC, until including the whole day', () => {
    expect(parseTimeBound('2026-11-01', '--since')).toBe('2026-11-01T00:00:00.000Z');
    expect(parseTimeBound('2026-11-30', '--until')).toBe('2026-12-01T00:00:00.000Z');
    expect(parseTimeBound('2026-11-01T10:00:00+02:00', '--since')).toBe('2026-11-01T08:00:00.000Z');
    expect(parseTimeBound('2026-11-01T10:00:00Z', '--until')).toBe('2026-11-01T10:00:00.001Z');
  });

  it.each(['2026-13-01', '2026-11-31', 'yesterday', '2026-11-01 10:00', '2026-11-01T10:00'])('rejects %s', (v) => {
    expect(() => parseTimeBound(v, '--since')).toThrow(/--since/);
  });
});

describe('choosing the store', () => {
  it('DATABASE_URL wins over the data directory; explicit options win over the environment', () => {
    expect(resolveAuditStoreTarget({ env: {}, cwd: '/srv/app' })).toEqual({ dialect: 'sqlite', file: '/srv/app/.data/stagegate.db' });
    expect(resolveAuditStoreTarget({ env: { STAGEGATE_DATA_DIR: 'var' }, cwd: '/srv/app' })).toEqual({
      dialect: 'sqlite',
      file: '/srv/app/var/stagegate.db',
    });
    expect(resolveAuditStoreTarget({ env: { DATABASE_URL: 'postgres://h/db', STAGEGATE_DATA_DIR: '/d' } })).toEqual({
      dialect: 'postgres',
      databaseUrl: 'postgres://h/db',
    });
    expect(resolveAuditStoreTarget({ dataDir: '/d', env: { DATABASE_URL: 'postgres://h/db' } })).toEqual({
      dialect: 'sqlite',
      file: '/d/stagegate.db',
    });
    expect(resolveAuditStoreTarget({ databaseUrl: 'postgres://x/y', dataDir: '/d', env: {} })).toEqual({
      dialect: 'postgres',
      databaseUrl: 'postgres://x/y',
    });
    expect(resolveAuditStoreTarget({ env: { DATABASE_URL: '  ' }, cwd: '/a' })).toEqual({ dialect: 'sqlite', file: '/a/.data/stagegate.db' });
  });
});

describe('in-memory embedded store (for tests of code that records events)', () => {
  it('is private to its opener and keeps a verifiable chain', async () => {
    const { openEmbeddedAuditStore } = await import('../../src/audit/open.js');
    const { verifyStore } = await import('../../src/audit/verify.js');
    const a = await openEmbeddedAuditStore({ file: ':memory:' });
    const b = await openEmbeddedAuditStore({ file: ':memory:' });
    try {
      const event = {
        key: 'k',
        repository: 'acme/shop',
        stage: 'staging',
        pullRequest: 1,
        baseSha: null,
        headSha: null,
        actor: null,
        kind: 'gate.result' as const,
        at: '2026-11-22T10:00:00Z',
        details: { state: 'passed' },
      };
      expect((await a.append(event)).appended).toBe(true);
      expect((await a.append({ ...event, key: 'k2' })).record.seq).toBe(2);
      expect(await b.repositories()).toEqual([]);
      expect((await verifyStore(a)).map((r) => [r.repository, r.records, r.problem])).toEqual([['acme/shop', 2, null]]);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
