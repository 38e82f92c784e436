import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { OpenAPIBackend, type Document } from 'openapi-backend';

/** One request as seen on the wire. */
export interface WireRequest {
  method: string;
  /** Path without the API prefix (`/api/v3` is stripped by the caller) and without the query string. */
  path: string;
  query?: Record<string, string | string[]>;
  headers?: Record<string, string | string[] | undefined>;
  body?: unknown;
}

/** The verdict on one request: the operation it matched, or why GitHub would reject it. */
export interface RequestVerdict {
  operationId: string | null;
  /** 404 when no operation matches, 422 when the body or parameters are invalid. */
  status: 200 | 404 | 422;
  errors: string[];
}

/** Checks requests and responses against GitHub's own OpenAPI description (`@octokit/openapi`). */
export interface GitHubContract {
  checkRequest(req: WireRequest): RequestVerdict;
  checkResponse(operationId: string, status: number, body: unknown): string[];
}

/** Rewrites OpenAPI 3.0 `nullable: true` into `anyOf [schema, {type: null}]`, which ajv accepts. */
export function rewriteNullable(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(rewriteNullable);
  if (node === null || typeof node !== 'object') return node;
  const obj: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) obj[k] = rewriteNullable(v);
  if (obj.nullable === true) {
    delete obj.nullable;
    const { description, ...schema } = obj;
    return { anyOf: [schema, { type: 'null' }], ...(description !== undefined ? { description } : {}) };
  }
  delete obj.nullable;
  return obj;
}

let cached: GitHubContract | null = null;

function loadDefinition(): Document {
  const require = createRequire(import.meta.url);
  const file = require.resolve('@octokit/openapi/generated/api.github.com.json');
  const spec = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  return rewriteNullable(spec) as Document;
}

function flatQuery(q: WireRequest['query']): Record<string, string | string[]> {
  return q ?? {};
}

/** The contract, loaded once per process (the description is 13 MB). */
export function githubContract(): GitHubContract {
  if (cached) return cached;
  const api = new OpenAPIBackend({
    definition: loadDefinition(),
    quick: true,
    strict: false,
    validate: true,
    ajvOpts: { strict: false, allErrors: true, validateFormats: false },
  });
  // quick mode with a definition object: init() does its work synchronously (no await in that path).
  void api.init();
  cached = {
    checkRequest(req) {
      const request = {
        method: req.method.toLowerCase(),
        path: req.path,
        query: flatQuery(req.query),
        headers: Object.fromEntries(Object.entries(req.headers ?? {}).filter((e): e is [string, string | string[]] => e[1] !== undefined)),
        body: req.body,
      };
      const op = api.matchOperation(request);
      if (!op) return { operationId: null, status: 404, errors: [`no GitHub operation for ${req.method.toUpperCase()} ${req.path}`] };
      const v = api.validateRequest(request, op);
      if (v.valid) return { operationId: op.operationId ?? null, status: 200, errors: [] };
      return {
        operationId: op.operationId ?? null,
        status: 422,
        errors: (v.errors ?? []).map((e) => `${op.operationId}: ${e.instancePath || '(request)'} ${e.message ?? 'is invalid'}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`),
      };
    },
    checkResponse(operationId, status, body) {
      const v = api.validateResponse(body, operationId, status);
      if (v.valid) return [];
      return (v.errors ?? []).map((e) => `${operationId} ${status} response: ${e.instancePath || '(body)'} ${e.message ?? 'is invalid'}`);
    },
  };
  return cached;
}
