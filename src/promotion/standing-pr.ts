import type { PromotionPrSettings, StageConfig } from '../config/schema.js';
import type { ReleaseNotes } from '../release-notes/model.js';
import { isEmptyNotes } from '../release-notes/model.js';
import { renderReleaseNotes, summarizeNotes } from '../release-notes/render.js';
import { GITHUB_TEXT_LIMIT, truncateMarkdown } from '../render/limits.js';
import { shortSha } from '../text.js';

/**
 * The standing promotion PR of a stage (`promotion_pr: open`): the app keeps one PR `from → branch`
 * open while `from` has commits the stage branch lacks, its body the pending changes. Pure rendering
 * and the decision of what to do on a push; the app reads GitHub and acts.
 */

/** Marks the body of a standing PR the app keeps (with its stage). */
export function standingMarker(stage: string): string {
  return `<!-- stagegate:standing-pr ${encodeURIComponent(stage)} -->`;
}

/** Fills `{stage}`, `{from}`, `{branch}` of a template; other braces are left as they are. */
export function fillTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (all, key: string) => values[key] ?? all);
}

/** The title of the PR the app opens. */
export function standingTitle(settings: PromotionPrSettings, stage: StageConfig): string {
  return fillTemplate(settings.title, { stage: stage.name, from: stage.from, branch: stage.branch }).slice(0, 256);
}

/** What the body shows. */
export interface StandingView {
  stage: StageConfig;
  settings: PromotionPrSettings;
  repoUrl: string;
  /** Stage branch tip and `from` tip. */
  base: string;
  head: string;
  /** Commits pending (`from` ahead of the stage branch). */
  ahead: number;
  notes: ReleaseNotes | null;
  /** The team on duty, when a rotation covers the stage. */
  duty?: { team: string; until: string | null } | null;
}

/** The body of the standing PR. Identical state renders an identical body (no time in it), so an unchanged push writes nothing. */
export function renderStandingBody(v: StandingView): string {
  const { stage } = v;
  const lines = [standingMarker(stage.name)];
  if (v.settings.body) lines.push(fillTemplate(v.settings.body, { stage: stage.name, from: stage.from, branch: stage.branch }), '');
  const compare = `[compare](${v.repoUrl}/compare/${v.base}...${v.head})`;
  if (v.ahead === 0 || (v.notes && isEmptyNotes(v.notes) && v.ahead === 0)) {
    lines.push(`### Nothing is pending for \`${stage.name}\``, '', `\`${stage.branch}\` already has every commit of \`${stage.from}\` (\`${shortSha(v.head)}\`).`);
  } else {
    lines.push(
      `### Pending for \`${stage.name}\`: ${v.notes ? summarizeNotes(v.notes) : `${v.ahead} commit${v.ahead === 1 ? '' : 's'}`}`,
      '',
      `\`${shortSha(v.base)}..${shortSha(v.head)}\` · ${compare} · ${v.ahead} commit${v.ahead === 1 ? '' : 's'}`,
      '',
    );
    lines.push(...(v.notes ? renderReleaseNotes(v.notes, { repoUrl: v.repoUrl, headingLevel: 4, maxEntries: 300 }) : ['_The pending changes could not be read._']));
  }
  if (v.duty) lines.push('', `**On deploy duty:** \`${v.duty.team.replace(/`/g, '')}\`${v.duty.until ? ` (until ${v.duty.until})` : ''}`);
  lines.push(
    '',
    `<sub>Kept open and current by Stagegate (\`promotion_pr: open\`): updated on every push to \`${stage.from}\`. Merging it promotes to \`${stage.name}\` once its \`stagegate\` gate is green${stage.auto_merge ? '; this stage merges itself when no manual sign-off is needed' : ''}.</sub>`,
  );
  return truncateMarkdown(lines.join('\n'), GITHUB_TEXT_LIMIT);
}

/** The open standing PR as the app finds it. */
export interface OpenPromotion {
  number: number;
  body: string | null;
  /** Opened by this app. */
  ours: boolean;
}

/** What to do on a push to a stage's `from` branch. */
export type StandingAction =
  { kind: 'none'; why: string } | { kind: 'open'; title: string; body: string } | { kind: 'update'; number: number; body: string } | { kind: 'close'; number: number; body: string };

/**
 * Decides the standing PR's next step: open one when commits are pending and none is open; keep an
 * open one's body current (only when it changed, and only a PR this app opened — a person's own
 * promotion PR is theirs); when nothing is pending, say so or close it (`when_empty: close`).
 */
export function decideStanding(v: StandingView, open: OpenPromotion | null): StandingAction {
  if (v.settings.mode !== 'open') return { kind: 'none', why: `stage ${v.stage.name} has promotion_pr: manual` };
  const body = renderStandingBody(v);
  if (!open) {
    if (v.ahead === 0) return { kind: 'none', why: `nothing pending for ${v.stage.name}` };
    return { kind: 'open', title: standingTitle(v.settings, v.stage), body };
  }
  if (!open.ours) return { kind: 'none', why: `#${open.number} is a promotion PR someone opened; Stagegate leaves its body alone` };
  if (v.ahead === 0 && v.settings.whenEmpty === 'close') return { kind: 'close', number: open.number, body };
  if ((open.body ?? '').replace(/\r\n/g, '\n') === body) return { kind: 'none', why: `#${open.number} is current` };
  return { kind: 'update', number: open.number, body };
}
