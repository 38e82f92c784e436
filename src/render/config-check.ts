import { CONFIG_PATH, formatConfigError, type ConfigError, type LoadResult } from '../config/load.js';
import { truncateMarkdown } from './limits.js';

/** Name of the check run that validates a pull request's change to `.github/stagegate.yml`. */
export const CONFIG_CHECK_NAME = 'stagegate/config';

/** GitHub takes at most 50 annotations per request; the rest go in further updates of the run. */
export const ANNOTATIONS_PER_REQUEST = 50;

/** One check run annotation, as GitHub's API takes it. */
export interface CheckAnnotationInput {
  path: string;
  start_line: number;
  end_line: number;
  start_column?: number;
  end_column?: number;
  annotation_level: 'failure' | 'warning' | 'notice';
  title: string;
  message: string;
}

/** The `stagegate/config` check's output: conclusion, texts and the annotations on the offending lines. */
export interface ConfigCheckOutput {
  conclusion: 'success' | 'failure' | 'neutral';
  title: string;
  summary: string;
  annotations: CheckAnnotationInput[];
}

/** The annotation of one error: on its line of the file in the pull request; errors elsewhere (an `_extends` file) are in the summary only. */
function annotationOf(e: ConfigError, path: string): CheckAnnotationInput | null {
  if (e.file !== path) return null;
  const line = e.line ?? 1;
  return {
    path,
    start_line: line,
    end_line: line,
    ...(e.column !== null ? { start_column: e.column, end_column: e.column } : {}),
    annotation_level: 'failure',
    title: e.path ? `${e.path}` : 'stagegate.yml',
    message: `${e.message}${e.suggestion ? ` (did you mean "${e.suggestion}"?)` : ''}`,
  };
}

/**
 * What the `stagegate/config` check says about the configuration a pull request proposes: valid
 * (with the stages it defines), invalid (every problem, each annotated on its line), or deleted.
 * Pure; the app publishes it on the pull request's head commit.
 */
export function renderConfigCheck(result: LoadResult | { kind: 'deleted' }, opts: { path?: string; baseRef: string }): ConfigCheckOutput {
  const path = opts.path ?? CONFIG_PATH;
  if (result.kind === 'deleted' || result.kind === 'absent') {
    return {
      conclusion: 'neutral',
      title: `${path} is deleted`,
      summary: `This pull request deletes \`${path}\`. Once it is merged into \`${opts.baseRef}\`, Stagegate reads the default branch's file for pull requests into \`${opts.baseRef}\`, or gates nothing there if there is none. Review this like any other policy change.`,
      annotations: [],
    };
  }
  if (result.kind === 'ok') {
    const stages = result.config.stages.map(
      (s) =>
        `| \`${s.name}\` | \`${s.from}\` → \`${s.branch}\` | ${s.signoff.approvals} | ${s.checks.length ? s.checks.map((c) => `\`${c}\``).join(', ') : '—'} | ${s.verified_in ? `\`${s.verified_in}\`${s.soak ? ` + ${s.soak}` : ''}` : '—'} |`,
    );
    return {
      conclusion: 'success',
      title: `${path} is valid: ${result.config.stages.length} stage${result.config.stages.length === 1 ? '' : 's'}`,
      summary: truncateMarkdown(
        [
          `The policy this pull request proposes validates${result.origin.extendsFrom ? ` (merged with \`${result.origin.extendsFrom}\`)` : ''}. It takes effect for promotions into a stage once it is on that stage's branch.`,
          '',
          '| stage | promotes | approvals | required checks | verified in |',
          '| --- | --- | --- | --- | --- |',
          ...stages,
        ].join('\n'),
      ),
      annotations: [],
    };
  }
  const lines = result.errors.map((e) => `- \`${formatConfigError(e)}\``);
  const elsewhere = result.errors.filter((e) => e.file !== path).length;
  return {
    conclusion: 'failure',
    title: `${result.errors.length} problem${result.errors.length === 1 ? '' : 's'} in ${path}`,
    summary: truncateMarkdown(
      [
        `The policy this pull request proposes does not validate. Merged as it is, promotions into the stages it governs would fail closed (nothing deploys) until it is fixed.`,
        '',
        ...lines,
        ...(elsewhere ? ['', `${elsewhere} of them ${elsewhere === 1 ? 'is' : 'are'} in the \`_extends\` file, outside this pull request.`] : []),
        '',
        'Check it before you push: `npx stagegate validate`.',
      ].join('\n'),
    ),
    annotations: result.errors.map((e) => annotationOf(e, path)).filter((a): a is CheckAnnotationInput => a !== null),
  };
}
