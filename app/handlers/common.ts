import type { Config } from '../../src/config/schema.js';
import type { Job, JobRepo, Work } from '../jobs.js';

/** What every routed payload has: the repository, the installation, the sender. */
export interface DeliveryBase {
  repository: { name: string; full_name: string; default_branch: string; html_url: string; owner: { login: string } | null };
  installation?: { id: number } | undefined;
  sender?: { login: string } | null | undefined;
}

/** What the router may know without a request: this app's id and the last policy read per repository. */
export interface RouteKnowledge {
  /** This app's id (needed to recognise its own check suite). */
  appId: number | null;
  /** The last valid policy of a repository, when recent enough to skip events that cannot matter. */
  policy(repository: string): Config | null;
}

/** The repository of a delivery. */
export function repoOf(p: DeliveryBase): JobRepo {
  const r = p.repository;
  return { owner: r.owner?.login ?? r.full_name.split('/')[0]!, repo: r.name, fullName: r.full_name, defaultBranch: r.default_branch, htmlUrl: r.html_url };
}

/** A job for a delivery. */
export function jobOf(event: { id: string; name: string }, p: DeliveryBase, work: Work): { kind: 'job'; job: Job } {
  return { kind: 'job', job: { event: event.name, delivery: event.id, installationId: p.installation?.id ?? null, repo: repoOf(p), actor: p.sender?.login ?? null, work } };
}

/** Pull request numbers of a check's or suite's `pull_requests` that live in the repository itself. */
export function ownPulls(prs: { number: number; head: { repo: { id: number } }; base: { repo: { id: number } } }[]): number[] | null {
  if (prs.length === 0) return null;
  return prs.filter((p) => p.head.repo.id === p.base.repo.id).map((p) => p.number);
}
