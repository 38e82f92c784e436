import { createHash } from 'node:crypto';

/** The prevHash of the first record of every chain. */
export const GENESIS_HASH = '0'.repeat(64);

/** Domain prefix of the hashed text; changes if the hashed layout ever changes. */
const HASH_DOMAIN = 'stagegate-audit-v1\n';

/**
 * Canonical JSON: object keys sorted (recursively), no whitespace, `undefined` members dropped.
 * Throws on values JSON cannot represent faithfully (non-finite numbers, bigint, functions).
 */
export function canonicalJson(value: unknown): string {
  return encode(value, '$');
}

function encode(value: unknown, path: string): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`${path}: ${value} cannot be stored in the audit trail`);
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) {
        return `[${value.map((v, i) => (v === undefined ? 'null' : encode(v, `${path}[${i}]`))).join(',')}]`;
      }
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) {
        if (value instanceof Date) return JSON.stringify(value.toISOString());
        throw new TypeError(`${path}: only plain objects, arrays and scalars can be stored in the audit trail`);
      }
      const entries = Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${encode(v, `${path}.${k}`)}`).join(',')}}`;
    }
    default:
      throw new TypeError(`${path}: a ${typeof value} cannot be stored in the audit trail`);
  }
}

/** The fields a record's hash covers (everything but `seq` and `hash`). */
export interface HashedContent {
  key: string;
  repository: string;
  stage: string;
  pullRequest: number | null;
  baseSha: string | null;
  headSha: string | null;
  actor: string | null;
  kind: string;
  at: string;
  recordedAt: string;
  /** Canonical JSON text of the details. */
  details: string;
  prevHash: string;
}

/**
 * SHA-256 (hex) over the canonical JSON of a record's content and the previous record's hash.
 * `seq` is not hashed: the order of a chain is carried by the prevHash links.
 */
export function recordHash(content: HashedContent): string {
  const text = canonicalJson({
    key: content.key,
    repository: content.repository,
    stage: content.stage,
    pullRequest: content.pullRequest,
    baseSha: content.baseSha,
    headSha: content.headSha,
    actor: content.actor,
    kind: content.kind,
    at: content.at,
    recordedAt: content.recordedAt,
    details: content.details,
    prevHash: content.prevHash,
  });
  return createHash('sha256').update(HASH_DOMAIN).update(text).digest('hex');
}

/** The indexed copy of `details.deploymentId` (string), or null when absent. */
export function deploymentIdOf(details: unknown): string | null {
  if (details === null || typeof details !== 'object' || Array.isArray(details)) return null;
  const id = (details as Record<string, unknown>)['deploymentId'];
  if (typeof id === 'string' && id !== '') return id;
  if (typeof id === 'number' && Number.isFinite(id)) return String(id);
  return null;
}
