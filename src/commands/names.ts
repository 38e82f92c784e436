/**
 * The ChatOps commands Stagegate reads in comments, with their usage lines. One place names them;
 * the parser, the permission matrix, `help` and the docs all read this list.
 */

/** Every command, in the order `help` lists them. */
export const COMMAND_NAMES = ['help', 'status', 'recheck', 'deploy', 'rollback', 'lock', 'unlock', 'break-glass', 'approve'] as const;

/** A command's name. */
export type CommandName = (typeof COMMAND_NAMES)[number];

/** The commands that run on a promotion pull request (the others run on a break-glass follow-up issue, or anywhere). */
export type CommandPlace = 'anywhere' | 'promotion' | 'follow-up';

/** What each command is for, and where it runs. */
export const COMMAND_INFO: Readonly<Record<CommandName, { usage: string; summary: string; place: CommandPlace }>> = {
  help: { usage: '/stagegate help', summary: 'the commands you may run here', place: 'anywhere' },
  status: { usage: '/stagegate status', summary: 'the gate, locks, what runs in each stage and what is pending', place: 'anywhere' },
  recheck: { usage: '/stagegate recheck', summary: 're-evaluate the gate now (as the check’s Re-run does)', place: 'promotion' },
  deploy: { usage: '/stagegate deploy', summary: 'merge this green promotion (which deploys it), or deploy its approved merge commit again after a failed deployment', place: 'promotion' },
  rollback: { usage: '/stagegate rollback [sha | deployment-id]', summary: 'redeploy the last (or the named) verified deployment of this stage', place: 'promotion' },
  lock: { usage: '/stagegate lock [reason] [--for 2h]', summary: 'hold this stage: its gates stay pending and no merge deploys to it', place: 'promotion' },
  unlock: { usage: '/stagegate unlock', summary: 'release this stage’s lock (its holder, or an admin)', place: 'promotion' },
  'break-glass': { usage: '/stagegate break-glass <reason>', summary: 'emergency: pass the gate without the missing sign-offs, window or freeze; opens a follow-up issue', place: 'promotion' },
  approve: { usage: '/stagegate approve', summary: 'approve a break-glass after the fact (on its follow-up issue)', place: 'follow-up' },
};
