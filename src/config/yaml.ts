import { LineCounter, parseDocument, isMap, isPair, isScalar, isSeq, type Document, type YAMLError } from 'yaml';
import type { ConfigError, KeyPath } from './errors.js';

/** A parsed YAML file: its value, and the document and line index to locate key paths in it. */
export interface ParsedYaml {
  file: string;
  value: unknown;
  doc: Document;
  lines: LineCounter;
}

/** Where a key path is: 1-based line and column, or null where the file says nothing. */
export type Position = { line: number; col: number };

const MAX_ALIASES = 100;

function plainYamlMessage(err: YAMLError, text: string): string {
  const at = err.pos[0];
  switch (err.code) {
    case 'DUPLICATE_KEY': {
      const key = /^[ \t]*(?:- )?([^:\n]+?)\s*:/.exec(text.slice(at, text.indexOf('\n', at) === -1 ? undefined : text.indexOf('\n', at)))?.[1];
      return `the key ${key ? `"${key.replace(/^["']|["']$/g, '')}" ` : ''}appears twice in the same mapping (keep one)`;
    }
    case 'TAB_AS_INDENT':
      return 'a tab is used to indent; YAML indents with spaces only';
    case 'BAD_INDENT':
      if (/^Flow sequence/.test(err.message)) return 'a list written in [brackets] is not closed with "]" (or a line after it is not indented enough)';
      if (/^Flow map/.test(err.message)) return 'a mapping written in {braces} is not closed with "}" (or a line after it is not indented enough)';
      return 'the indentation is off: keys of one mapping (and items of one list) must start in the same column';
    case 'MULTIPLE_DOCS':
      return 'the file holds more than one YAML document (a second "---"); keep the configuration in one';
    case 'MISSING_CHAR':
      if (/closing "quote/.test(err.message)) return 'a text in "double quotes" is not closed';
      if (/closing 'quote/.test(err.message)) return "a text in 'single quotes' is not closed";
      return `a character is missing here: ${err.message
        .split('\n')[0]!
        .replace(/^Missing /, '')
        .replace(/ at line \d+, column \d+.*$/, '')}`;
    case 'MULTILINE_IMPLICIT_KEY':
    case 'BLOCK_AS_IMPLICIT_KEY':
      return 'a key runs over several lines, or a line lacks the ":" after its key';
    case 'BAD_ALIAS':
    case 'ALIAS_PROPS':
      return 'an alias (*name) refers to no anchor (&name) defined before it';
    case 'TAG_RESOLVE_FAILED':
      return 'a tag (!!type) that YAML cannot apply to this value';
    default:
      return `YAML syntax error: ${err.message.split('\n')[0]!.replace(/ at line \d+, column \d+.*$/, '')}`;
  }
}

/**
 * Parses one YAML 1.2 document (core schema: `2026-12-20` stays text, `yes` is not a boolean) with
 * the `yaml` library, which gives both the value and every node's position. Syntax errors, duplicate
 * keys and an empty or non-mapping document come back as located errors.
 */
export function parseYaml(text: string, file: string): { ok: true; parsed: ParsedYaml } | { ok: false; errors: ConfigError[] } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, version: '1.2', schema: 'core', strict: true });
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((err) => {
        const p = lines.linePos(err.pos[0]);
        return { file, line: p.line, column: p.col, path: '', message: plainYamlMessage(err, text) };
      }),
    };
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (err) {
    const why = /Unresolved alias/i.test((err as Error).message) ? 'an alias (*name) refers to no anchor (&name)' : 'the aliases (*name) expand to too much (more than 100)';
    return { ok: false, errors: [{ file, line: 1, column: 1, path: '', message: why }] };
  }
  if (value === undefined || value === null) return { ok: false, errors: [{ file, line: 1, column: 1, path: '', message: 'the file is empty' }] };
  if (typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, errors: [{ file, line: 1, column: 1, path: '', message: 'must be a mapping of keys (stages, risk, deploy), not a single value or a list' }] };
  }
  return { ok: true, parsed: { file, value, doc, lines } };
}

/** Whether the document has a node at `path` (with `keyOf`: whether that mapping has the key). */
export function hasPath(parsed: ParsedYaml, path: KeyPath, keyOf?: string): boolean {
  if (keyOf === undefined && path.length === 0) return true;
  return parsed.doc.hasIn(keyOf !== undefined ? [...path, keyOf] : path);
}

/**
 * The position of a key path's value (or, with `keyOf`, of that key in the mapping at `path`); the
 * deepest existing ancestor's when the path does not exist (a missing key is reported where its
 * mapping is).
 */
export function locate(parsed: ParsedYaml, path: KeyPath, keyOf?: string): Position | null {
  const pos = (n: unknown): Position | null => {
    const range = (n as { range?: [number, number, number] } | null | undefined)?.range;
    return range ? parsed.lines.linePos(range[0]) : null;
  };
  let node: unknown = parsed.doc.contents;
  let last = pos(node);
  const segs: KeyPath = keyOf !== undefined ? [...path, keyOf] : path;
  for (let i = 0; i < segs.length; i++) {
    const seg = segs[i]!;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) return last;
      if (i === segs.length - 1 && keyOf !== undefined) return pos(pair.key) ?? last;
      last = pos(pair.value) ?? pos(pair.key) ?? last;
      node = pair.value;
    } else if (isSeq(node)) {
      const item = node.items[Number(seg)];
      if (item === undefined) return last;
      last = pos(item) ?? last;
      node = item;
    } else {
      return last;
    }
  }
  return last;
}
