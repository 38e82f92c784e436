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
