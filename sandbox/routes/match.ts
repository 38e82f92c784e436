/** Matching a request path to GitHub's path templates (from `@octokit/openapi`), as the contract checker needs it. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

interface Template {
  method: string;
  segments: Array<{ literal: string } | { param: string; multi: boolean }>;
  literalCount: number;
}

let templates: Template[] | null = null;

function loadTemplates(): Template[] {
  if (templates) return templates;
  const require = createRequire(import.meta.url);
  const spec = JSON.parse(readFileSync(require.resolve('@octokit/openapi/generated/api.github.com.json'), 'utf8')) as {
    paths: Record<string, Record<string, { parameters?: Array<{ name?: string; in?: string; 'x-multi-segment'?: boolean }> }>>;
  };
  const out: Template[] = [];
  for (const [path, ops] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const multi = new Set((op.parameters ?? []).filter((p) => p.in === 'path' && p['x-multi-segment']).map((p) => p.name));
      const segments = path
        .split('/')
        .slice(1)
        .map((s) => {
          const m = /^\{(.+)\}$/.exec(s);
          return m && m[1] ? { param: m[1], multi: multi.has(m[1]) || m[1] === 'path' } : { literal: s };
        });
      out.push({ method: method.toUpperCase(), segments, literalCount: segments.filter((s) => 'literal' in s).length });
    }
  }
  templates = out;
  return out;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Matches a request path against GitHub's path templates; params decoded, plus a path safe for the contract checker and the template itself. */
export function matchRoute(method: string, path: string): { params: Record<string, string>; canonicalPath: string; template: string } | null {
  const parts = path.split('/').slice(1);
  let best: { t: Template; params: Record<string, string> } | null = null;
  for (const t of loadTemplates()) {
    if (t.method !== method) continue;
    const params = matchSegments(t.segments, parts);
    if (!params) continue;
    if (!best || t.literalCount > best.t.literalCount) best = { t, params };
  }
  if (!best) return null;
  const canonical = best.t.segments
    .map((s) =>
      'literal' in s
        ? s.literal
        : encodeURIComponent(best.params[s.param] ?? '')
            .replace(/%/g, '_')
            .replace(/\./g, '.'),
    )
    .join('/');
  const template = best.t.segments.map((s) => ('literal' in s ? s.literal : `{${s.param}}`)).join('/');
  return { params: best.params, canonicalPath: `/${canonical}`, template: `/${template}` };
}

function matchSegments(segs: Template['segments'], parts: string[]): Record<string, string> | null {
  const params: Record<string, string> = {};
  let i = 0;
  for (let s = 0; s < segs.length; s++) {
    const seg = segs[s];
    if (!seg) return null;
    if ('literal' in seg) {
      if (parts[i] !== seg.literal) return null;
      i++;
      continue;
    }
    if (seg.multi) {
      const rest = segs.length - s - 1;
      const end = parts.length - rest;
      if (end <= i) return null;
      params[seg.param] = parts.slice(i, end).map(safeDecode).join('/');
      i = end;
      continue;
    }
    const p = parts[i];
    if (p === undefined || p === '') return null;
    params[seg.param] = safeDecode(p);
    i++;
  }
  return i === parts.length ? params : null;
}
