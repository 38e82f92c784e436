import { z } from 'zod';
import { configSchema } from './schema.js';

/** The `$id` of the configuration's JSON Schema; the version changes when a key changes meaning. */
export const CONFIG_SCHEMA_ID = 'urn:stagegate:schema:config:v1';

/**
 * The JSON Schema for editors, generated from the one zod schema: the same keys, defaults, enums
 * (days, IANA time zones, ...) and patterns (durations, dates, `HH:MM-HH:MM`, logins) that
 * Stagegate validates with. Checks that relate keys to each other (src/config/cross-checks.ts)
 * cannot be written in JSON Schema; `stagegate validate` reports them.
 */
export function configJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as Record<string, unknown>;
  const { $schema, ...rest } = generated;
  return { $schema, $id: CONFIG_SCHEMA_ID, title: 'Stagegate configuration (.github/stagegate.yml)', ...rest };
}

type JsonSchemaNode = {
  properties?: Record<string, JsonSchemaNode>;
  items?: JsonSchemaNode;
  anyOf?: JsonSchemaNode[];
  oneOf?: JsonSchemaNode[];
  allOf?: JsonSchemaNode[];
};

let cached: JsonSchemaNode | null = null;

/** The keys the schema allows in the mapping at `path` (every form of a union), for suggestions. */
export function knownKeys(path: readonly (string | number)[]): string[] {
  cached ??= configJsonSchema() as JsonSchemaNode;
  const expand = (list: JsonSchemaNode[]): JsonSchemaNode[] => list.flatMap((n) => [n, ...expand([...(n.anyOf ?? []), ...(n.oneOf ?? []), ...(n.allOf ?? [])])]);
  let nodes: JsonSchemaNode[] = [cached];
  for (const seg of path) {
    nodes = expand(nodes).flatMap((n) => {
      if (typeof seg === 'number') return n.items ? [n.items] : [];
      const child = n.properties?.[seg];
      return child ? [child] : [];
    });
  }
  return [...new Set(expand(nodes).flatMap((n) => Object.keys(n.properties ?? {})))];
}

let placesCache: Map<string, string[]> | null = null;

/**
 * Where else in the schema a key is allowed, as paths such as `stages[]` or `stages[].verify.metrics`
 * (for a key written at the wrong level: `soak` at the top belongs in `stages[]`).
 */
export function placesOfKey(key: string): string[] {
  if (!placesCache) {
    placesCache = new Map();
    cached ??= configJsonSchema() as JsonSchemaNode;
    const defs = (cached as { $defs?: Record<string, JsonSchemaNode> }).$defs ?? {};
    const walk = (n: JsonSchemaNode | undefined, at: string, depth: number): void => {
      if (!n || depth > 12) return;
      const ref = (n as { $ref?: string }).$ref;
      if (ref?.startsWith('#/$defs/')) return walk(defs[ref.slice(8)], at, depth + 1);
      for (const [k, child] of Object.entries(n.properties ?? {})) {
        placesCache!.set(k, [...(placesCache!.get(k) ?? []), at || '(top level)']);
        walk(child, at ? `${at}.${k}` : k, depth + 1);
      }
      if (n.items) walk(n.items, `${at}[]`, depth + 1);
      for (const alt of [...(n.anyOf ?? []), ...(n.oneOf ?? []), ...(n.allOf ?? [])]) walk(alt, at, depth + 1);
    };
    walk(cached, '', 0);
  }
  return [...new Set(placesCache.get(key) ?? [])];
}
