import type { CommandsConfig, PermissionLevel } from '../config/schema.js';
import type { RepoPermission } from '../facts/types.js';
import { COMMAND_NAMES, type CommandName } from './names.js';

/** Roles, weakest first (`none`: no access to the repository). */
export const ROLE_ORDER: readonly RepoPermission[] = ['none', 'read', 'triage', 'write', 'maintain', 'admin'];

/** Whether `role` includes `least`. */
export function hasRole(role: RepoPermission, least: PermissionLevel): boolean {
  return ROLE_ORDER.indexOf(role) >= ROLE_ORDER.indexOf(least);
}

/** Who wrote the comment: the account GitHub attributes it to, and their role read from GitHub (never from the payload). */
export interface Requester {
  login: string;
  /** `User`, `Bot`, `Organization`, … as GitHub reports the account. */
  type: string;
  role: RepoPermission;
}

/** Everything the decision needs, read before it is made. */
export interface AuthorizeInput {
  command: CommandName;
  who: Requester;
  /** This app's own login (`<slug>[bot]`): its comments are never read. */
  self: string;
  /** The comment is on a pull request from a fork. */
  fork: boolean;
  commands: CommandsConfig;
  /** For `break-glass`: whether the policy configures it, and whether the requester is in one of its teams (or listed). */
  breakGlass?: { configured: boolean; member: boolean };
  /** For `approve`: whether the follow-up names its reviewers, and whether the requester is one of them. */
  followUp?: { reviewersConfigured: boolean; member: boolean };
  /** For `unlock`: who holds the lock (null: no lock). */
  lockHolder?: string | null;
}

/** The decision: run, refuse with a reason the reply states, or ignore without a word (our own comments, commands switched off). */
export type Authorization = { kind: 'allowed'; because: string } | { kind: 'refused'; reason: string } | { kind: 'ignored'; why: string };

/** Whether an account is a bot or an app (`[bot]` logins are, whatever type a payload claims). */
export function isBot(who: Pick<Requester, 'login' | 'type'>): boolean {
  return who.type === 'Bot' || /\[bot\]$/i.test(who.login);
}

/** The least role a command needs by configuration (`break-glass` and `approve` are decided by membership). */
export function leastRole(command: CommandName, commands: CommandsConfig): PermissionLevel {
  switch (command) {
    case 'break-glass':
      return 'read';
    case 'approve':
      return 'write';
    default:
      return commands[command];
  }
}

const article = (role: string): string => (role === 'admin' ? 'an admin' : `${/^[aeiou]/.test(role) ? 'an' : 'a'} ${role}`);

/**
 * The permission matrix: whether `who` may run `command` here. Pure. In order: our own comments
 * and switched-off commands are ignored; bots, comments on fork pull requests and people without
 * access are refused; then the command's own rule — the configured least role (`commands:`), the
 * `break_glass` teams, the follow-up's reviewers, the lock's holder or an admin for `unlock`.
 */
export function authorize(input: AuthorizeInput): Authorization {
  const { who, command } = input;
  if (who.login.toLowerCase() === input.self.toLowerCase()) return { kind: 'ignored', why: 'the comment is Stagegate’s own' };
  if (!input.commands.enabled) return { kind: 'ignored', why: 'commands are switched off (commands.enabled: false)' };
  if (isBot(who)) return { kind: 'refused', reason: `@${who.login} is a bot: Stagegate takes commands only from people, so that every command has someone accountable` };
  if (input.fork) return { kind: 'refused', reason: 'commands are not accepted on pull requests from forks' };
  if (who.role === 'none') return { kind: 'refused', reason: `@${who.login} has no access to this repository` };
  if (command === 'break-glass') {
    if (!input.breakGlass?.configured) return { kind: 'refused', reason: 'break-glass is not configured for this stage (`break_glass.teams` in .github/stagegate.yml)' };
    if (!input.breakGlass.member) return { kind: 'refused', reason: `@${who.login} is not a member of a break_glass team` };
    return { kind: 'allowed', because: 'member of a break_glass team' };
  }
  if (command === 'approve') {
    if (input.followUp?.reviewersConfigured) {
      return input.followUp.member ? { kind: 'allowed', because: 'a follow-up reviewer' } : { kind: 'refused', reason: `@${who.login} is not one of this follow-up’s reviewers` };
    }
    return hasRole(who.role, 'write')
      ? { kind: 'allowed', because: `role ${who.role}` }
      : { kind: 'refused', reason: `approving a break-glass needs write access; @${who.login} is ${article(who.role)}` };
  }
  const least = leastRole(command, input.commands);
  if (!hasRole(who.role, least)) return { kind: 'refused', reason: `\`/stagegate ${command}\` needs ${least} access or more; @${who.login} is ${article(who.role)}` };
  if (command === 'unlock' && input.lockHolder) {
    const holder = input.lockHolder.toLowerCase() === who.login.toLowerCase();
    if (!holder && who.role !== 'admin') return { kind: 'refused', reason: `the lock is held by @${input.lockHolder}: only its holder or an admin may unlock it` };
    return { kind: 'allowed', because: holder ? 'holder of the lock' : 'admin' };
  }
  return { kind: 'allowed', because: `role ${who.role}` };
}

/** The commands `who` may run, for `help` (membership-decided ones from what is known). */
export function allowedCommands(base: Omit<AuthorizeInput, 'command'>, commands: readonly CommandName[] = COMMAND_NAMES): CommandName[] {
  return commands.filter((command) => authorize({ ...base, command }).kind === 'allowed');
}
