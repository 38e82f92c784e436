import { parseDuration, suggestDuration } from '../config/duration.js';
import { nearest } from '../config/suggest.js';
import { COMMAND_INFO, COMMAND_NAMES, type CommandName } from './names.js';

/** What `/stagegate rollback <x>` names: a deployment id, a commit (prefix), or a text that could be either. */
export interface RollbackTarget {
  text: string;
  /** The text is decimal digits: it may be a deployment id. */
  maybeId: boolean;
  /** The text is 7 to 40 hex digits: it may be a commit SHA (prefix). */
  maybeSha: boolean;
}

/** A command as parsed, with its arguments. */
export type Command =
  | { name: 'help' }
  | { name: 'status' }
  | { name: 'recheck' }
  | { name: 'deploy' }
  | { name: 'unlock' }
  | { name: 'rollback'; target: RollbackTarget | null }
  | { name: 'lock'; reason: string | null; forMs: number | null; forText: string | null }
  | { name: 'break-glass'; reason: string }
  | { name: 'approve'; note: string | null };

/** What a comment says to Stagegate. `line` is the 1-based line of the command. */
export type ParsedComment =
  /** No command line: the comment is not for Stagegate. */
  | { kind: 'none' }
  | { kind: 'command'; command: Command; line: number; text: string }
  /** `/stagegate <word>` with a word that is no command. */
  | { kind: 'unknown'; word: string; suggestion: CommandName | null; line: number; text: string }
  /** A known command with arguments it does not take. */
  | { kind: 'invalid'; name: CommandName; message: string; line: number; text: string }
  /** More than one command line: none runs. */
  | { kind: 'several'; lines: number[] };

/** Longest reason kept (GitHub comments can be 65,536 characters; a reason is one line). */
export const MAX_REASON = 500;

const PREFIX = /^ {0,3}\/stagegate(?=\s|$)(.*)$/i;
const FENCE = /^ {0,3}(`{3,}|~{3,})/;
const SHA = /^[0-9a-f]{7,40}$/i;
const DIGITS = /^\d+$/;

/**
 * The command lines of a comment: lines that start with `/stagegate` (up to three spaces of
 * indentation), outside fenced or indented code blocks and block quotes, so quoting someone's
 * command in a reply, or showing one in code, never runs it.
 */
export function commandLines(body: string): { line: number; text: string; rest: string }[] {
  const out: { line: number; text: string; rest: string }[] = [];
  let fence: string | null = null;
  body.split(/\r\n|\r|\n/).forEach((raw, i) => {
    const f = FENCE.exec(raw);
    if (fence !== null) {
      if (f && f[1]![0] === fence[0] && f[1]!.length >= fence.length && raw.trim() === f[1]) fence = null;
      return;
    }
    if (f) {
      fence = f[1]!;
      return;
    }
    if (/^(?: {4}|\t)/.test(raw) || /^ {0,3}>/.test(raw)) return;
    const m = PREFIX.exec(raw);
    if (m) out.push({ line: i + 1, text: raw.trim(), rest: (m[1] ?? '').trim() });
  });
  return out;
}

function unquote(text: string): string {
  const t = text.trim();
  const m = /^(["'“])(.*)(["'”])$/.exec(t);
  return m ? m[2]!.trim() : t;
}

function reasonOf(text: string): string | null {
  const r = unquote(text).replace(/\s+/g, ' ').trim();
  return r === '' ? null : r.slice(0, MAX_REASON);
}

/** The word the author probably meant. */
function suggest(word: string): CommandName | null {
  const w = word.toLowerCase().replace(/_/g, '-');
  const exact = COMMAND_NAMES.find((n) => n.replace(/-/g, '') === w.replace(/-/g, ''));
  if (exact) return exact;
  const prefixed = COMMAND_NAMES.filter((n) => w.length >= 3 && (n.startsWith(w) || w.startsWith(n)));
  if (prefixed.length === 1) return prefixed[0]!;
  return (nearest(w, COMMAND_NAMES) as CommandName | undefined) ?? null;
}

type Parsed = { ok: true; command: Command } | { ok: false; message: string };

function noArguments(name: CommandName, rest: string): Parsed {
  if (rest === '') return { ok: true, command: { name } as Command };
  return { ok: false, message: `\`/stagegate ${name}\` takes no arguments (got “${rest.slice(0, 80)}”); usage: \`${COMMAND_INFO[name].usage}\`` };
}

function parseRollback(rest: string): Parsed {
  if (rest === '') return { ok: true, command: { name: 'rollback', target: null } };
  const words = rest.split(/\s+/);
  if (words.length > 1) return { ok: false, message: `\`/stagegate rollback\` takes one commit SHA or deployment id at most (got “${rest.slice(0, 80)}”)` };
  const text = words[0]!.replace(/^#/, '');
  const maybeId = DIGITS.test(text) && Number(text) > 0 && Number.isSafeInteger(Number(text));
  const maybeSha = SHA.test(text);
  if (!maybeId && !maybeSha) return { ok: false, message: `“${text.slice(0, 60)}” is neither a commit SHA (7 to 40 hex digits) nor a deployment id (a number)` };
  return { ok: true, command: { name: 'rollback', target: { text: text.toLowerCase(), maybeId, maybeSha } } };
}

function parseLock(rest: string): Parsed {
  let forText: string | null = null;
  const problems: string[] = [];
  const flag = /(^|\s)--([A-Za-z][\w-]*)(?:(?:=|\s+)(\S+))?/g;
  const reason = rest.replace(flag, (all, lead: string, name: string, value: string | undefined) => {
    if (name.toLowerCase() !== 'for') {
      const s = nearest(name.toLowerCase(), ['for']);
      problems.push(`unknown option --${name}${s ? ' (did you mean --for?)' : ''}; usage: \`${COMMAND_INFO.lock.usage}\``);
      return lead;
    }
    if (forText !== null) problems.push('--for is given twice');
    if (value === undefined) problems.push('--for needs a duration, such as --for 2h');
    else forText = value;
    return lead;
  });
  if (problems.length) return { ok: false, message: problems.join('; ') };
  let forMs: number | null = null;
  if (forText !== null) {
    forMs = parseDuration(forText);
    if (forMs === null) {
      const s = suggestDuration(forText);
      return { ok: false, message: `--for “${forText}” is not a duration such as 30m, 2h or 1d${s ? ` (did you mean ${s}?)` : ''}` };
    }
    if (forMs <= 0) return { ok: false, message: '--for must be longer than zero' };
  }
  return { ok: true, command: { name: 'lock', reason: reasonOf(reason), forMs, forText } };
}

function parseArguments(name: CommandName, rest: string): Parsed {
  switch (name) {
    case 'rollback':
      return parseRollback(rest);
    case 'lock':
      return parseLock(rest);
    case 'break-glass': {
      const reason = reasonOf(rest);
      if (reason === null || reason.length < 3)
        return { ok: false, message: 'break-glass needs a reason, e.g. `/stagegate break-glass checkout is down for every customer` (it goes into the audit trail and the follow-up issue)' };
      return { ok: true, command: { name, reason } };
    }
    case 'approve':
      return { ok: true, command: { name, note: reasonOf(rest) } };
    default:
      return noArguments(name, rest);
  }
}

/**
 * Reads a comment: at most one `/stagegate <command> [arguments]` line (see {@link commandLines}).
 * Pure; never throws. A bare `/stagegate` is `help`. Command names are case-insensitive.
 */
export function parseComment(body: string | null | undefined): ParsedComment {
  const lines = commandLines(body ?? '');
  if (lines.length === 0) return { kind: 'none' };
  if (lines.length > 1) return { kind: 'several', lines: lines.map((l) => l.line) };
  const { line, text, rest } = lines[0]!;
  const [word = ''] = rest.split(/\s+/).filter(Boolean);
  const args = rest.slice(rest.indexOf(word) + word.length).trim();
  if (word === '') return { kind: 'command', command: { name: 'help' }, line, text };
  const name = COMMAND_NAMES.find((n) => n === word.toLowerCase());
  if (!name) return { kind: 'unknown', word: word.slice(0, 60), suggestion: suggest(word), line, text };
  const parsed = parseArguments(name, args);
  return parsed.ok ? { kind: 'command', command: parsed.command, line, text } : { kind: 'invalid', name, message: parsed.message, line, text };
}
