import { GITHUB_TEXT_LIMIT, truncateMarkdown } from '../render/limits.js';
import type { ReleaseNotes } from './model.js';
import { renderReleaseNotes, summarizeNotes } from './render.js';
import { shortSha } from '../text.js';

/** Marks the Release body of a deployment (how a retry finds a Release it already published). */
export function releaseMarker(deploymentId: number): string {
  return `<!-- stagegate:release deployment=${deploymentId} -->`;
}

/** What a Release says. */
export interface ReleaseView {
  notes: ReleaseNotes;
  stage: string;
  sha: string;
  deploymentId: number;
  pullRequest: number | null;
  /** The previous verified deployment the notes start from (null: the first). */
  previous: { id: number; sha: string } | null;
  /** The workflow run whose success is the verification evidence. */
  runUrl: string;
  verifiedAt: string;
  repoUrl: string;
}

/** The body of the GitHub Release of a verified deployment: the notes and where they come from. */
export function renderRelease(v: ReleaseView): string {
  const range = v.previous
    ? `[\`${shortSha(v.previous.sha)}...${shortSha(v.sha)}\`](${v.repoUrl}/compare/${v.previous.sha}...${v.sha}) (since deployment ${v.previous.id}, the previous verified deployment of \`${v.stage}\`)`
    : `the first verified deployment of \`${v.stage}\` (up to \`${shortSha(v.sha)}\`)`;
  const lines = [
    releaseMarker(v.deploymentId),
    `Deployed to **${v.stage}** and verified at ${v.verifiedAt}: ${summarizeNotes(v.notes)}.`,
    '',
    `Changes: ${range}.`,
    '',
    ...renderReleaseNotes(v.notes, { repoUrl: v.repoUrl, headingLevel: 3, foldCommits: false }),
    '',
    '---',
    `Promotion ${v.pullRequest !== null ? `#${v.pullRequest}` : '(none recorded)'} · deployment ${v.deploymentId} of [\`${shortSha(v.sha)}\`](${v.repoUrl}/commit/${v.sha}) · [verification run](${v.runUrl}) · published by Stagegate`,
  ];
  return truncateMarkdown(lines.join('\n'), GITHUB_TEXT_LIMIT);
}
