/**
 * Hidden markers that identify Stagegate's comments, so that each is upserted in place. A marker
 * alone never identifies a comment as Stagegate's: anyone can write one. The app and the Action
 * adopt a comment only when it carries the marker **and** was written by their own identity.
 */

/** The hidden marker of one kind of comment: `<!-- stagegate:<kind> -->`. */
export function marker(kind: string): string {
  return `<!-- stagegate:${kind} -->`;
}

/** The app's gate comment on a promotion PR. */
export const GATE_MARKER = marker('gate');

/** The app's comment saying what merging the promotion did. */
export const MERGE_MARKER = marker('merge');

/** The Action's report comment of one deployment. */
export function deploymentMarker(deploymentId: number | string): string {
  return marker(`deployment:${deploymentId}`);
}

/** A comment as the GitHub API returns it, reduced to what identifies its author. */
export interface CommentAuthorship {
  body?: string | null;
  user: { login: string; type?: string } | null;
  performed_via_github_app?: { id: number; slug?: string } | null;
}

/**
 * Whether a comment is one of ours of the given marker: it contains the marker and its author is
 * `identity` (compared case-insensitively). A planted marker in someone else's comment is ignored.
 */
export function isOwnComment(c: CommentAuthorship, markerText: string, identity: string): boolean {
  return (c.body ?? '').includes(markerText) && (c.user?.login ?? '').toLowerCase() === identity.toLowerCase();
}

/** The login a GitHub App acts as: `<slug>[bot]`. */
export function botLogin(appSlug: string): string {
  return `${appSlug}[bot]`;
}
