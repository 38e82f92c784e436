import { configSchema, type Config, type StageConfig } from '../../src/config/schema.js';
import { FAKE_APP } from '../../src/facts/fake.js';
import type { PromotionFacts } from '../../src/facts/types.js';
import type { RuleContext, StageHolds } from '../../src/gate/types.js';
import { memoryHolds } from '../../src/locks/holds.js';

/** Head of the promotion PR in the tests. */
export const HEAD = '5d6e7f8000000000000000000000000000000000';
/** An older head (before the last push). */
export const OLD = '1a2b3c4000000000000000000000000000000000';
/** Another commit. */
export const OTHER = '9e9e9e9000000000000000000000000000000000';

/** The configuration from PRODUCT.md (two stages, payments and docs tiers), with overrides. */
export function productConfig(over: { staging?: Record<string, unknown>; production?: Record<string, unknown>; risk?: unknown[] } = {}): Config {
  return configSchema.parse({
    stages: [
      { name: 'staging', branch: 'staging', from: 'master', signoff: { approvals: 1 }, ...over.staging },
      {
        name: 'production',
        branch: 'production',
        from: 'staging',
        signoff: { approvals: 2, reviewers: ['anna', '@acme/release-managers'], separation_of_duties: true },
        checks: ['build', 'test'],
        verified_in: 'staging',
        soak: '30m',
        windows: [{ days: ['mon', 'tue', 'wed', 'thu'], hours: '09:00-16:00', timezone: 'Europe/Berlin' }],
        freeze: [{ from: '2026-12-20', to: '2027-01-04', reason: 'Holiday freeze' }],
        ...over.production,
      },
    ],
    risk: over.risk ?? [
      { name: 'payments', paths: ['src/payments/**', 'migrations/**'], stages: ['production'], signoff: { approvals: 2, reviewers: ['@acme/payments-leads'] } },
      { name: 'docs', paths: ['docs/**', '**/*.md'], level: 'low' },
    ],
  });
}

/** A stage of a configuration by name. */
export function stageOf(config: Config, name: string): StageConfig {
  const stage = config.stages.find((s) => s.name === name);
  if (!stage) throw new Error(`no stage ${name}`);
  return stage;
}

/** A rule context: Tuesday 2026-11-24 10:00 Berlin unless `now` is given. */
export function ctxOf(config: Config, stage: string, facts: PromotionFacts, now = new Date('2026-11-24T09:00:00Z'), holds: StageHolds = memoryHolds({ now: () => now })): RuleContext {
  return { config, stage: stageOf(config, stage), facts, now, app: { id: FAKE_APP.id, slug: FAKE_APP.slug ?? null }, holds };
}
