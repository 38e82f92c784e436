import { z } from 'zod';
import { dateSchema, durationSchema, hoursSchema, loginSchema as login, timezoneSchema as timezone } from './formats.js';

export { durationSchema } from './formats.js';

/** Who must sign off, and how many of them. */
export const signoffSchema = z
  .strictObject({
    approvals: z.number().int().min(0).max(20).default(1).describe('How many approvals of the current head commit are required'),
    reviewers: z.array(login).optional().describe('Users (`anna`) or teams (`@org/team-slug`) whose approvals count; when absent, anyone with write access to the repository counts'),
    separation_of_duties: z.boolean().default(true).describe('Authors, committers, co-authors and pushers of any commit in the range never count as approvers'),
    require_verified_commits: z.boolean().default(false).describe('Every commit in the range must carry a signature GitHub verified; unverified commits block, named'),
  })
  .describe('Sign-off requirement');

/** An HTTP smoke check. */
export const httpSmokeSchema = z
  .strictObject({
    name: z.string().min(1).describe('Name shown in reports'),
    url: z.string().url().describe('URL to request'),
    method: z.enum(['GET', 'HEAD', 'POST']).default('GET').describe('HTTP method'),
    headers: z.record(z.string(), z.string()).optional().describe('Request headers'),
    expect: z
      .strictObject({
        status: z.number().int().min(100).max(599).default(200).describe('Expected HTTP status'),
        body_contains: z.string().optional().describe('Text the response body must contain'),
        json: z
          .record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))
          .optional()
          .describe('JSON fields (dotted paths) that must equal the given values'),
        headers: z.record(z.string(), z.string()).optional().describe('Response headers that must equal the given values'),
      })
      .default({ status: 200 })
      .describe('What a healthy response looks like'),
    retries: z.number().int().min(0).max(50).default(3).describe('Retries after the first attempt, with exponential backoff'),
    timeout: durationSchema.default('10s').describe('Timeout of one attempt'),
  })
  .describe('HTTP smoke check');

/** A command smoke check. */
export const commandSmokeSchema = z
  .strictObject({
    name: z.string().min(1).describe('Name shown in reports'),
    run: z.string().min(1).describe('Shell command; exit code 0 passes'),
    retries: z.number().int().min(0).max(50).default(0).describe('Retries after the first attempt'),
    timeout: durationSchema.default('5m').describe('Timeout of one attempt'),
  })
  .describe('Command smoke check');

export const smokeSchema = z.union([httpSmokeSchema, commandSmokeSchema]);

/** A metric check: a Prometheus instant query compared against thresholds. */
export const metricCheckSchema = z
  .strictObject({
    name: z.string().min(1).describe('Name shown in reports'),
    query: z.string().min(1).describe('PromQL instant query; every returned series is checked'),
    min: z.number().optional().describe('Fail when a value is below this'),
    max: z.number().optional().describe('Fail when a value is above this'),
    on_no_data: z.enum(['fail', 'pass']).optional().describe("Verdict when the query returns no data (default: the metrics section's)"),
  })
  .refine((c) => c.min !== undefined || c.max !== undefined, { message: 'needs min or max' })
  .describe('Metric check');

export const metricsSchema = z
  .strictObject({
    provider: z.literal('prometheus').default('prometheus').describe('Metrics provider'),
    url: z.string().url().describe('Base URL of the Prometheus HTTP API'),
    window: durationSchema.default('10m').describe('How long to watch after the deploy'),
    interval: durationSchema.default('1m').describe('How often to query during the window'),
    on_no_data: z.enum(['fail', 'pass']).default('fail').describe('Verdict when a query returns no data'),
    checks: z.array(metricCheckSchema).min(1).describe('Checks evaluated at every interval'),
  })
  .describe('Metric checks after the deploy');

const dayName = z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun']);

/** A deploy window. */
export const windowSchema = z
  .strictObject({
    days: z.array(dayName).min(1).default(['mon', 'tue', 'wed', 'thu', 'fri']).describe('Days of the week'),
    hours: hoursSchema.default('00:00-24:00'),
    timezone: timezone.default('UTC'),
  })
  .describe('Deploy window');

/** A freeze period: no promotion to the stage while it lasts. */
export const freezeSchema = z
  .strictObject({
    from: dateSchema.describe('First day (or instant) of the freeze'),
    to: dateSchema.describe('Last day (inclusive) or instant the freeze ends'),
    reason: z.string().optional().describe('Shown on the gate'),
    timezone: timezone.default('UTC'),
  })
  .describe('Freeze period');

/** A text template: `{stage}`, `{from}`, `{branch}`, `{date}`, `{n}` (where the key says) are replaced. */
const templateText = z.string().min(1).max(1000);

/** The standing promotion PR of a stage. */
export const promotionPrSchema = z
  .union([
    z.enum(['manual', 'open']),
    z.strictObject({
      mode: z.enum(['manual', 'open']).default('open').describe('`open`: the app opens and keeps current the promotion PR; `manual`: people open it'),
      title: templateText.default('Promote {from} → {branch}').describe('Title of the PR the app opens ({stage}, {from}, {branch})'),
      body: templateText.optional().describe('Text put above the pending changes in the PR body ({stage}, {from}, {branch})'),
      when_empty: z.enum(['keep', 'close']).default('keep').describe('When nothing is pending any more: keep the PR open saying so, or close it'),
    }),
  ])
  .describe(
    '`manual` (default: people open promotion PRs) or `open` (the app keeps one open whenever the from branch has commits the stage branch lacks), or a mapping with mode, title, body, when_empty',
  );

/** Publishing a GitHub Release when a deployment of the stage is verified. */
export const releaseSchema = z
  .union([
    z.boolean(),
    z.strictObject({
      enabled: z.boolean().default(true).describe('Publish Releases for this stage'),
      tag: templateText.default('{stage}-{date}.{n}').describe('Tag template: {stage}, {date} (YYYY-MM-DD in UTC, the verification day) and {n} (1, 2, … within the day)'),
      name: templateText.optional().describe('Release title template (default: the tag)'),
    }),
  ])
  .describe('Publish a GitHub Release (notes, links to the promotion PR and the deployment) when a deployment of this stage is deployed and verified; default true for the final stage');

/** One deployment stage. */
export const stageSchema = z
  .strictObject({
    name: z.string().min(1).describe('GitHub Deployments environment name'),
    branch: z.string().min(1).describe('PRs into this branch promote to this stage'),
    from: z.string().min(1).describe('... from this branch'),
    signoff: signoffSchema.default({ approvals: 1, separation_of_duties: true, require_verified_commits: false }),
    deploy: z
      .strictObject({
        command: z.string().min(1).describe('Run by the Action; STAGEGATE_* variables describe the deploy'),
        timeout: durationSchema.default('30m').describe('Deploy command timeout'),
        url: z.string().url().optional().describe('Environment URL shown on the deployment'),
      })
      .optional()
      .describe('How the Action deploys this stage'),
    verify: z
      .strictObject({
        smoke: z.array(smokeSchema).default([]).describe('Smoke tests run after the deploy'),
        smoke_concurrency: z.number().int().min(1).max(32).default(4).describe('How many smoke tests run at once'),
        metrics: metricsSchema.optional(),
      })
      .optional()
      .describe('How the Action verifies a deploy'),
    auto_rollback: z.boolean().default(true).describe('Redeploy the last verified deployment when verification fails'),
    rollback: z
      .strictObject({
        command: z.string().min(1).optional().describe('Run instead of deploy.command to roll back, in a work tree of the rollback target; STAGEGATE_* variables describe it'),
        timeout: durationSchema.optional().describe('Rollback command timeout (default: deploy.timeout)'),
      })
      .optional()
      .describe('How the Action rolls back (default: deploy.command in a work tree of the last verified commit)'),
    checks: z.array(z.string().min(1)).default([]).describe('Check runs or commit statuses that must have succeeded on the head commit'),
    verified_in: z.string().optional().describe('Stage in which the head commit must have been deployed and verified'),
    soak: durationSchema.optional().describe('How long ago the verified deployment must have succeeded'),
    windows: z.array(windowSchema).default([]).describe('Deploy windows; none means always open'),
    freeze: z.array(freezeSchema).default([]).describe('Freeze periods'),
    promotion_pr: promotionPrSchema.default('manual'),
    auto_merge: z
      .boolean()
      .default(false)
      .describe(
        'Merge the promotion as soon as its gate is green, with no human, when its requirement needs no manual sign-off (no approvals configured, or a low-risk-only range); windows, freezes and locks still hold it. A stage with manual sign-off never self-merges',
      ),
    release: releaseSchema.optional(),
  })
  .describe('A deployment stage');

/** A risk tier: paths that raise or lower the sign-off bar. */
export const riskSchema = z
  .strictObject({
    name: z.string().optional().describe('Name shown on the gate (defaults to the globs)'),
    paths: z.array(z.string().min(1)).min(1).describe('Globs over changed file paths'),
    stages: z.array(z.string().min(1)).optional().describe('Stages the tier applies to (default: all)'),
    level: z.enum(['low', 'normal', 'high']).default('normal').describe('`low`: a range touching only low paths needs no manual sign-off'),
    signoff: z
      .strictObject({
        approvals: z.number().int().min(0).max(20).default(1),
        reviewers: z.array(login).optional(),
      })
      .optional()
      .describe('Extra sign-off required when the range touches these paths'),
  })
  .describe('Risk tier');

/** A release-notes category: merged PRs with one of its labels. */
export const releaseCategorySchema = z
  .strictObject({
    title: z.string().min(1).describe('Heading of the category'),
    labels: z.array(z.string().min(1)).min(1).describe('PRs with any of these labels belong here (the first matching category wins)'),
  })
  .describe('Release-notes category');

/** Release notes when the policy says nothing about them. */
export const RELEASE_NOTES_DEFAULTS = { categories: [], uncategorized: 'Other changes', exclude_labels: [], mentions: false };

/** How release notes are built (the gate comment, the standing PR, the Action report, the Release). */
export const releaseNotesSchema = z
  .strictObject({
    categories: z.array(releaseCategorySchema).default([]).describe('Label categories, in order; PRs matching none go under `uncategorized`'),
    uncategorized: z.string().min(1).default('Other changes').describe('Heading of PRs that match no category'),
    exclude_labels: z.array(z.string().min(1)).default([]).describe('PRs with any of these labels are left out'),
    mentions: z.boolean().default(false).describe('Name authors as @-mentions (which notify them) instead of plain names'),
  })
  .describe('Release notes');

/** A holiday override of the rotation. */
export const rotationOverrideSchema = z
  .strictObject({
    from: dateSchema.describe('First day (or instant) of the override, in the rotation time zone'),
    to: dateSchema.describe('Last day (inclusive) or instant it ends'),
    team: login.describe('Who is on duty instead'),
  })
  .describe('Rotation override');

/** Deploy-duty rotation. */
export const rotationSchema = z
  .strictObject({
    teams: z.array(login).min(1).describe('Teams (`@org/team`) or users on duty in turn'),
    period: durationSchema.default('1w').describe('How long each turn lasts (whole days and weeks follow the local calendar, across DST)'),
    start: dateSchema.describe('When the first of `teams` starts its turn (a date: midnight; a date-time: that local time), in `timezone`'),
    timezone: timezone.default('UTC'),
    require: z.boolean().default(false).describe('Also require one approval from the team on duty'),
    stages: z.array(z.string().min(1)).optional().describe('Stages whose promotions the team on duty is asked to review (default: every stage with manual sign-off)'),
    overrides: z.array(rotationOverrideSchema).default([]).describe('Who is on duty instead, for a while (holidays)'),
  })
  .describe('Deploy-duty rotation');

/** A repository role, weakest first: what GitHub reports as the user's role on the repository. */
export const permissionLevelSchema = z.enum(['read', 'triage', 'write', 'maintain', 'admin']).describe('A repository role: read, triage, write, maintain or admin (each includes the ones before it)');

/** ChatOps comment commands (`/stagegate …` on a promotion PR): who may run which, and how `deploy` merges. */
export const commandsSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Read `/stagegate` commands in pull request comments; false ignores every comment'),
    merge_method: z.enum(['merge', 'squash', 'rebase']).default('merge').describe('How `/stagegate deploy` merges an open promotion whose gate is green'),
    help: permissionLevelSchema.default('read').describe('Least role that may run `/stagegate help`'),
    status: permissionLevelSchema.default('read').describe('Least role that may run `/stagegate status`'),
    recheck: permissionLevelSchema.default('write').describe('Least role that may run `/stagegate recheck`'),
    deploy: permissionLevelSchema.default('write').describe('Least role that may run `/stagegate deploy`'),
    rollback: permissionLevelSchema.default('write').describe('Least role that may run `/stagegate rollback`'),
    lock: permissionLevelSchema.default('write').describe('Least role that may run `/stagegate lock`'),
    unlock: permissionLevelSchema.default('write').describe("Least role that may run `/stagegate unlock` (the lock's holder, or an admin)"),
  })
  .describe('ChatOps comment commands');

/** The commands section when the file has none: every command on, with the default roles. */
export const DEFAULT_COMMANDS = {
  enabled: true,
  merge_method: 'merge',
  help: 'read',
  status: 'read',
  recheck: 'write',
  deploy: 'write',
  rollback: 'write',
  lock: 'write',
  unlock: 'write',
} as const satisfies z.output<typeof commandsSchema>;

/** Stage locks (`/stagegate lock`): how long they may last. */
export const locksSchema = z
  .strictObject({
    default_duration: durationSchema.optional().describe('How long a lock without `--for` lasts (default: until unlocked)'),
    max_duration: durationSchema.optional().describe('The longest lock allowed; a longer `--for` is refused (default: no limit)'),
  })
  .describe('Stage locks');

/** Rules that break-glass may waive. */
export const BREAK_GLASS_WAIVABLE = ['signoff', 'windows', 'freeze', 'verified_in', 'lock', 'checks'] as const;

/** Break-glass (`/stagegate break-glass <reason>`): the emergency path, and the follow-up it owes. */
export const breakGlassSchema = z
  .strictObject({
    teams: z.array(login).min(1).describe('Teams (`@org/team-slug`) or users whose members may break glass'),
    stages: z.array(z.string().min(1)).optional().describe('Stages break-glass may be used for (default: every stage)'),
    waive: z
      .array(z.enum(BREAK_GLASS_WAIVABLE))
      .default(['signoff', 'windows', 'freeze'])
      .describe(
        'Rules the gate passes without: `signoff` (approvals, separation of duties, risk tiers), `windows`, `freeze`, `verified_in` (and soak), `lock`, `checks` (required checks; never waived unless listed)',
      ),
    follow_up: z
      .strictObject({
        approvals: z.number().int().min(1).max(20).default(1).describe('Approvals (`/stagegate approve` on the follow-up issue) the break-glass needs afterwards'),
        deadline: durationSchema.default('24h').describe('Time after the break-glass within which the follow-up must be approved; later it is flagged overdue'),
        reviewers: z.array(login).optional().describe("Users or teams whose approval counts (default: the stage's signoff.reviewers, else anyone with write access)"),
      })
      .default({ approvals: 1, deadline: '24h' })
      .describe('The follow-up issue opened for every break-glass'),
  })
  .describe('Break-glass: emergency deploys by named teams, with a follow-up review');

/** The whole `.github/stagegate.yml`. */
export const configSchema = z
  .strictObject({
    _extends: z.string().optional().describe('Org defaults: `repo` or `owner/repo`, optionally `:path` (default .github/stagegate.yml)'),
    stages: z.array(stageSchema).min(1).describe('Deployment stages'),
    risk: z.array(riskSchema).default([]).describe('Risk tiers'),
    deploy: z
      .strictObject({
        workflow: z.string().min(1).default('stagegate-deploy.yml').describe('workflow_dispatch workflow that runs the companion Action'),
        ref: z.string().optional().describe('Ref the workflow runs on (default: the stage branch)'),
        mode: z
          .enum(['dispatch', 'protection_rule'])
          .default('dispatch')
          .describe(
            '`dispatch`: on merge the app creates the deployment and dispatches the workflow, and the Action deploys only deployments the app created. `protection_rule`: the workflow job uses `environment:`, GitHub creates the deployment and asks the app (a custom deployment protection rule), which approves only merge commits of green promotions',
          ),
        start_timeout: durationSchema
          .default('30m')
          .describe('How long a dispatched deployment may stay queued (no run picked it up) before the app reports it on the PR: status `error`, a comment and an audit record'),
      })
      .default({ workflow: 'stagegate-deploy.yml', mode: 'dispatch', start_timeout: '30m' }),
    release_notes: releaseNotesSchema.default(RELEASE_NOTES_DEFAULTS),
    rotation: rotationSchema.optional(),
    commands: commandsSchema.default(DEFAULT_COMMANDS),
    locks: locksSchema.default({}),
    break_glass: breakGlassSchema.optional(),
  })
  .describe('Stagegate configuration (.github/stagegate.yml)');

/** A validated configuration, defaults applied. */
export type Config = z.output<typeof configSchema>;
/** One validated stage. */
export type StageConfig = Config['stages'][number];
/** One validated risk tier. */
export type RiskTier = Config['risk'][number];
/** One smoke check. */
export type SmokeCheck = z.output<typeof smokeSchema>;
/** An HTTP smoke check. */
export type HttpSmokeCheck = z.output<typeof httpSmokeSchema>;
/** A command smoke check. */
export type CommandSmokeCheck = z.output<typeof commandSmokeSchema>;
/** The metrics section of a stage. */
export type MetricsConfig = z.output<typeof metricsSchema>;
/** One metric check. */
export type MetricCheck = z.output<typeof metricCheckSchema>;
/** A deploy window. */
export type DeployWindow = z.output<typeof windowSchema>;
/** A freeze period. */
export type Freeze = z.output<typeof freezeSchema>;

/** Release-notes settings. */
export type ReleaseNotesConfig = Config['release_notes'];
/** The rotation. */
export type RotationConfig = NonNullable<Config['rotation']>;

/** The standing-PR settings of a stage, resolved. */
export interface PromotionPrSettings {
  mode: 'manual' | 'open';
  title: string;
  body?: string;
  whenEmpty: 'keep' | 'close';
}

/** A stage's `promotion_pr`, shorthand resolved. */
export function promotionPrOf(stage: StageConfig): PromotionPrSettings {
  const p = stage.promotion_pr;
  if (typeof p === 'string') return { mode: p, title: 'Promote {from} → {branch}', whenEmpty: 'keep' };
  return { mode: p.mode, title: p.title, ...(p.body ? { body: p.body } : {}), whenEmpty: p.when_empty };
}

/** The final stage: no stage promotes from its branch. */
export function isFinalStage(config: Config, stage: StageConfig): boolean {
  return !config.stages.some((s) => s.from === stage.branch);
}

/** A stage's Release settings, default resolved (on for the final stage), or null when off. */
export function releaseOf(config: Config, stage: StageConfig): { tag: string; name?: string } | null {
  const r = stage.release;
  if (r === undefined) return isFinalStage(config, stage) ? { tag: '{stage}-{date}.{n}' } : null;
  if (typeof r === 'boolean') return r ? { tag: '{stage}-{date}.{n}' } : null;
  if (!r.enabled) return null;
  return { tag: r.tag, ...(r.name ? { name: r.name } : {}) };
}

/** The ChatOps commands section. */
export type CommandsConfig = z.output<typeof commandsSchema>;
/** A repository role. */
export type PermissionLevel = z.output<typeof permissionLevelSchema>;
/** The locks section. */
export type LocksConfig = z.output<typeof locksSchema>;
/** The break-glass section. */
export type BreakGlassConfig = z.output<typeof breakGlassSchema>;
/** A rule break-glass may waive. */
export type Waivable = (typeof BREAK_GLASS_WAIVABLE)[number];

/** Is this smoke check an HTTP check? */
export function isHttpSmoke(c: SmokeCheck): c is HttpSmokeCheck {
  return 'url' in c;
}
