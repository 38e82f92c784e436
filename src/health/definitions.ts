/** The four delivery metrics, as the page, the CLI and docs state them. One place, so they never drift apart. */

/** A metric's id, name and definition. */
export interface MetricDefinition {
  id: 'deployment-frequency' | 'lead-time' | 'change-failure-rate' | 'time-to-restore';
  title: string;
  /** What is counted, in plain words (shown on the page under "How these are measured"). */
  definition: string;
}

/** What "verified" means everywhere on the page. */
export const VERIFIED_DEFINITION =
  'A deployment is verified when the app recorded a trusted verification for it: a successful run of the protected deploy workflow bound to a deployment Stagegate created (dispatch mode) or approved as the environment’s protection rule (protection-rule mode). A success anyone else reported is not evidence and never counts as verified.';

export const METRICS: readonly MetricDefinition[] = [
  {
    id: 'deployment-frequency',
    title: 'Deployment frequency',
    definition:
      'Verified deployments to the stage in the period (and per day). Deployments still running, refused by the Action, or whose success is untrusted are not counted; they are shown beside.',
  },
  {
    id: 'lead-time',
    title: 'Lead time for changes',
    definition:
      'For each commit promoted to the stage, from its author date to the verification of the first verified deployment to that stage that carries it (a commit of a deployment that failed counts when a later deployment of the stage is verified). Each commit counts once per stage; merge commits are not changes of their own and are left out. Median and 90th percentile (linear interpolation) over the commits verified in the period.',
  },
  {
    id: 'change-failure-rate',
    title: 'Change failure rate',
    definition:
      'Deployments that failed verification or were rolled back, divided by the deployments that reached a verdict (verified or failed) in the period, by the time of their first verdict. Deployments without a verdict are in neither number.',
  },
  {
    id: 'time-to-restore',
    title: 'Time to restore',
    definition:
      'For each deployment that failed in the period, from its failure to the next verified deployment of the stage (a rollback alone does not restore: the stage is restored when a deployment is verified again). Median over the failures restored; failures not restored yet are counted as open.',
  },
];

/** The definition of a metric by id. */
export function metric(id: MetricDefinition['id']): MetricDefinition {
  const m = METRICS.find((x) => x.id === id);
  if (!m) throw new Error(`unknown metric ${id}`);
  return m;
}
