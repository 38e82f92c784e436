import { DEFAULT_COMMANDS, type CommandsConfig } from '../config/schema.js';
import { approveCommand } from './approve.js';
import { breakGlassCommand } from './break-glass.js';
import { deployCommand } from './deploy.js';
import { helpCommand } from './help.js';
import { lockCommand } from './lock.js';
import { COMMAND_INFO, COMMAND_NAMES, type CommandName } from './names.js';
import { parseComment, type Command } from './parse.js';
import { allowedCommands, authorize, isBot, type AuthorizeInput, type Requester } from './permissions.js';
import { recheckCommand } from './recheck.js';
import { rollbackCommand } from './rollback.js';
import { statusCommand } from './status.js';
import type { CommandComment, CommandContext, CommandDefinition, CommandEffect, CommandFacts, CommentTarget } from './types.js';
import { unlockCommand } from './unlock.js';

/** Every command's definition. A new command: a file in this folder, its name in names.ts, its line here. */
export const COMMANDS: { [N in CommandName]: CommandDefinition<N> } = {
  help: helpCommand,
  status: statusCommand,
  recheck: recheckCommand,
  deploy: deployCommand,
  rollback: rollbackCommand,
  lock: lockCommand,
  unlock: unlockCommand,
  'break-glass': breakGlassCommand,
  approve: approveCommand,
};

/** What Stagegate does with a comment. Data: the outer layer writes the reply, the audit records and the effect. */
export type CommandVerdict =
  /** Not for Stagegate, or not to be answered (our own comment, commands switched off): no reply. */
  | { kind: 'ignore'; why: string }
  /** Nothing happens; the reply says why. `command` is the command's name, or what the comment held (`unknown`, `invalid`, `several`). */
  | { kind: 'refuse'; command: string; text: string; reason: string; hint?: string; requester: Requester | null }
  | { kind: 'answer'; command: CommandName; text: string; markdown: string; requester: Requester }
  | { kind: 'act'; command: CommandName; text: string; effect: CommandEffect; requester: Requester };

/** What deciding a comment needs. */
export interface DecideInput {
  repository: string;
  comment: CommandComment;
  facts: CommandFacts;
  now: Date;
  /** This app's login (`<slug>[bot]`). */
  self: string;
}

const configOf = (t: CommentTarget) => (t.kind === 'invalid-config' ? null : t.config);

function isForkPr(t: CommentTarget): boolean {
  if (t.kind !== 'promotion' && t.kind !== 'pull' && t.kind !== 'invalid-config') return false;
  return t.pr.headRepo === null || t.pr.headRepo.toLowerCase() !== t.pr.baseRepo.toLowerCase();
}

function placeProblem(name: CommandName, t: CommentTarget): string | null {
  const place = COMMAND_INFO[name].place;
  if (place === 'anywhere') return null;
  if (place === 'promotion') {
    if (t.kind === 'promotion') return null;
    if (t.kind === 'invalid-config')
      return `the policy on the base branch does not validate (${t.errors.length} problem${t.errors.length === 1 ? '' : 's'}; see the stagegate check), so no command can act on this promotion`;
    return t.kind === 'pull' ? `\`${name}\` works on promotion pull requests; this one is not a promotion (${t.why})` : `\`${name}\` works on promotion pull requests, not on issues`;
  }
  return t.kind === 'issue' && t.followUp ? null : '`approve` works on a break-glass follow-up issue that Stagegate opened';
}

/**
 * Decides what a comment makes Stagegate do, reading only through `facts`: parse (one command
 * line, outside code and quotes), ignore our own comments, check the requester's role read from
 * GitHub now (never the payload) against the permission matrix and the place, then the command's
 * own decision. Pure apart from the reads; every refusal names its reason.
 */
export async function decideCommand(input: DecideInput): Promise<CommandVerdict> {
  const { comment, facts } = input;
  const parsed = parseComment(comment.body);
  if (parsed.kind === 'none') return { kind: 'ignore', why: 'the comment holds no /stagegate command' };
  if (comment.author.login.toLowerCase() === input.self.toLowerCase()) return { kind: 'ignore', why: 'the comment is Stagegate’s own' };
  const target = await facts.target();
  const config = configOf(target);
  const commands: CommandsConfig = config?.commands ?? DEFAULT_COMMANDS;
  if (!commands.enabled) return { kind: 'ignore', why: 'commands are switched off (commands.enabled: false)' };
  const text = parsed.kind === 'several' ? 'several commands' : parsed.text;
  const bot = isBot(comment.author);
  const role = bot ? 'none' : await facts.role(comment.author.login);
  const requester: Requester = { login: comment.author.login, type: comment.author.type, role };
  const refuse = (command: string, reason: string, hint?: string): CommandVerdict => ({ kind: 'refuse', command, text, reason, requester, ...(hint ? { hint } : {}) });
  if (parsed.kind === 'several') return refuse('several', `one command per comment: lines ${parsed.lines.join(', ')} each hold one, so none ran`, 'Post each command in a comment of its own.');
  if (parsed.kind === 'unknown') {
    const did = parsed.suggestion ? `did you mean \`${parsed.suggestion}\`? ` : '';
    return refuse('unknown', `\`${parsed.word}\` is not a Stagegate command — ${did}The commands are ${COMMAND_NAMES.map((n) => `\`${n}\``).join(', ')}.`);
  }
  if (parsed.kind === 'invalid') return refuse(parsed.name, parsed.message);
  const command: Command = parsed.command;
  const name = command.name;

  const stage = target.kind === 'promotion' ? target.stage : null;
  const base: Omit<AuthorizeInput, 'command'> = { who: requester, self: input.self, fork: isForkPr(target), commands };
  const bgc = config?.break_glass;
  const authorizeInput: AuthorizeInput = { ...base, command: name };
  if (name === 'break-glass' && !bot) {
    const configured = Boolean(bgc) && (!bgc?.stages || (stage !== null && bgc.stages.includes(stage.name)));
    authorizeInput.breakGlass = { configured, member: configured && bgc ? await facts.isMember(bgc.teams, requester.login) : false };
  }
  if (name === 'approve' && target.kind === 'issue' && target.followUp && !bot) {
    const reviewers = target.followUp.followUp.reviewers;
    authorizeInput.followUp = { reviewersConfigured: reviewers.length > 0, member: reviewers.length > 0 ? await facts.isMember(reviewers, requester.login) : false };
  }
  if (name === 'unlock' && stage && !bot) authorizeInput.lockHolder = (await facts.lock(stage.name))?.holder ?? null;
  const auth = authorize(authorizeInput);
  if (auth.kind === 'ignored') return { kind: 'ignore', why: auth.why };
  if (auth.kind === 'refused') return refuse(name, auth.reason);
  const where = placeProblem(name, target);
  if (where) return refuse(name, where);

  // For help: what this person may run (membership-decided commands as far as they are known without more reads).
  const allowed = name === 'help' ? allowedCommands({ ...base, ...(bgc ? { breakGlass: { configured: true, member: await facts.isMember(bgc.teams, requester.login) } } : {}) }) : [];
  const ctx: CommandContext = { command, comment, facts, now: input.now, self: input.self, repository: input.repository, target, config, requester, allowed };
  const decision = await (COMMANDS[name] as CommandDefinition).decide(ctx as never);
  if (decision.kind === 'refuse') return refuse(name, decision.reason, decision.hint);
  if (decision.kind === 'answer') return { kind: 'answer', command: name, text, markdown: decision.markdown, requester };
  return { kind: 'act', command: name, text, effect: decision.effect, requester };
}
