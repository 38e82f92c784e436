import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction } from 'ajv';
import { rewriteNullable } from './github-openapi.js';

/** Validates webhook payloads against GitHub's webhook descriptions (`@octokit/openapi-webhooks`). */
export interface WebhookContract {
  /** Errors of `payload` as the `event` (e.g. `pull_request`) with its `action`; [] when valid. */
  check(event: string, payload: Record<string, unknown>): string[];
  /** Whether GitHub describes this event/action at all. */
  knows(event: string, action?: string): boolean;
}

let cached: WebhookContract | null = null;

/** The contract, loaded once per process. */
export function webhookContract(): WebhookContract {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const file = require.resolve('@octokit/openapi-webhooks/generated/api.github.com.json');
  const spec = rewriteNullable(JSON.parse(readFileSync(file, 'utf8'))) as {
    webhooks: Record<string, { post?: { requestBody?: { content?: Record<string, { schema?: { $ref?: string } }> } } }>;
    components: { schemas: Record<string, unknown> };
  };
  const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: false });
  ajv.addSchema({ $id: 'webhooks', components: spec.components });
  const compiled = new Map<string, ValidateFunction>();
  const keyOf = (event: string, action?: string): string => `${event.replace(/_/g, '-')}${action ? `-${action.replace(/_/g, '-')}` : ''}`;
  const refOf = (key: string): string | null => {
    const ref = spec.webhooks[key]?.post?.requestBody?.content?.['application/json']?.schema?.$ref;
    return ref ? `webhooks${ref}` : null;
  };
  cached = {
    knows(event, action) {
      return refOf(keyOf(event, action)) !== null || refOf(keyOf(event)) !== null;
    },
    check(event, payload) {
      const action = typeof payload.action === 'string' ? payload.action : undefined;
      let key = keyOf(event, action);
      let ref = refOf(key);
      if (!ref) {
        key = keyOf(event);
        ref = refOf(key);
      }
      if (!ref) return [`no webhook schema for ${event}${action ? `.${action}` : ''}`];
      let fn = compiled.get(key);
      if (!fn) {
        fn = ajv.compile({ $ref: ref });
        compiled.set(key, fn);
      }
      if (fn(payload)) return [];
      return (fn.errors ?? [])
        .slice(0, 30)
        .map((e) => `${event}${action ? `.${action}` : ''} payload: ${e.instancePath || '(body)'} ${e.message ?? 'is invalid'}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);
    },
  };
  return cached;
}
