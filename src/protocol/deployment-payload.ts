import { z } from 'zod';
import { stageSchema, type StageConfig } from '../config/schema.js';

/**
 * The payloads of the GitHub Deployments Stagegate creates. The app writes the promotion payload
 * when it creates the deployment of a merged promotion; the Action writes the rollback payload on
 * the deployment it creates to roll back. Versioned (`stagegate: 1`); unknown keys are ignored so
 * that a newer app can add fields an older Action does not read.
 *
 * The payload is trusted only because of who created the deployment (the app itself, checked by
 * the Action through `performed_via_github_app`); its content then tells the Action what was
 * approved and under which policy.
 */

const sha = z.string().regex(/^[0-9a-f]{40}$/, 'must be a 40-character commit SHA');
const positive = z.number().int().positive();

/**
 * The parts of a stage's policy the Action deploys and verifies with, as the promotion's base had
 * them before the merge: a promotion never loosens its own verification.
 */
export const stagePolicySchema = stageSchema.pick({ name: true, branch: true, from: true, deploy: true, verify: true, auto_rollback: true, rollback: true });

/** A stage policy as carried in a payload. */
export type StagePolicy = z.output<typeof stagePolicySchema>;

/** Where the policy carried in a payload was read. */
export const policySourceSchema = z.object({
  /** The commit the policy was read at: the promotion's base before the merge. */
  ref: sha,
  /** The file, e.g. `.github/stagegate.yml`. */
  path: z.string().min(1),
  /** True when the base had no file and the default branch's was used. */
  fell_back: z.boolean(),
  /** The `_extends` source merged in, when any. */
  extends_from: z.string().optional(),
  /** The git blob SHA of the policy file as read (and of the `_extends` file), so an auditor can fetch exactly that text. */
  blob_sha: z.string().optional(),
  extends_blob_sha: z.string().optional(),
});

/** One approval that counted, as the gate judged it. */
export const approverSchema = z.object({ login: z.string().min(1), commit: sha, at: z.string() });

/** The payload of the deployment the app creates for a merged promotion. */
export const promotionPayloadSchema = z.object({
  stagegate: z.literal(1),
  kind: z.literal('promotion'),
  stage: z.string().min(1),
  pull_request: positive,
  /** The range the gate approved: base (before the merge) .. head. */
  base: sha,
  head: sha,
  /** The promotion's merge commit: the deployment's sha. */
  merge_commit: sha,
  approvers: z.array(approverSchema),
  /** The app's audit chain head when the deployment was created: an external anchor the database owner cannot rewrite (`stagegate audit verify --anchors`). */
  audit_anchor: z.object({ seq: z.number().int().nonnegative(), hash: z.string().regex(/^[0-9a-f]{64}$/) }).optional(),
  policy: z.object({
    source: policySourceSchema,
    stage: stagePolicySchema,
    /** The protected deploy workflow and the ref it runs on: only a run of it may act on the deployment. */
    workflow: z.object({ path: z.string().regex(/^\.github\/workflows\/[^/]+\.ya?ml$/, 'must be .github/workflows/<file>.yml'), ref: z.string().min(1) }),
  }),
});

/** The promotion payload. */
export type PromotionPayload = z.output<typeof promotionPayloadSchema>;

/** The payload of a deployment the Action creates to roll back a failed one. */
export const rollbackPayloadSchema = z.object({
  stagegate: z.literal(1),
  kind: z.literal('rollback'),
  stage: z.string().min(1),
  pull_request: positive.nullable(),
  /** The failed deployment this one rolls back. */
  rollback_of: positive,
  /** The earlier verified deployment whose commit is redeployed. */
  target_deployment: positive,
});

/** The rollback payload. */
export type RollbackPayload = z.output<typeof rollbackPayloadSchema>;

/** `.github/workflows/<file>` for a `deploy.workflow` file name (a path is kept). */
export function workflowPath(workflow: string): string {
  return workflow.includes('/') ? workflow.replace(/^\.\//, '') : `.github/workflows/${workflow}`;
}

/** Builds the promotion payload from the stage policy the gate used. */
export function promotionPayload(p: {
  stage: StageConfig;
  pullRequest: number;
  base: string;
  head: string;
  mergeCommit: string;
  approvers: { login: string; commit: string; at: string }[];
  source: { ref: string; path: string; fellBack: boolean; extendsFrom?: string; blobSha?: string; extendsBlobSha?: string };
  /** `deploy.workflow` (file name) and the ref it runs on. */
  workflow: { file: string; ref: string };
  /** The audit chain head to publish with the deployment. */
  anchor?: { seq: number; hash: string } | null;
}): PromotionPayload {
  const { name, branch, from, deploy, verify, auto_rollback, rollback } = p.stage;
  return {
    stagegate: 1,
    kind: 'promotion',
    stage: name,
    pull_request: p.pullRequest,
    base: p.base,
    head: p.head,
    merge_commit: p.mergeCommit,
    approvers: p.approvers,
    ...(p.anchor ? { audit_anchor: { seq: p.anchor.seq, hash: p.anchor.hash } } : {}),
    policy: {
      source: {
        ref: p.source.ref,
        path: p.source.path,
        fell_back: p.source.fellBack,
        ...(p.source.extendsFrom ? { extends_from: p.source.extendsFrom } : {}),
        ...(p.source.blobSha ? { blob_sha: p.source.blobSha } : {}),
        ...(p.source.extendsBlobSha ? { extends_blob_sha: p.source.extendsBlobSha } : {}),
      },
      stage: { name, branch, from, auto_rollback, ...(deploy ? { deploy } : {}), ...(verify ? { verify } : {}), ...(rollback ? { rollback } : {}) },
      workflow: { path: workflowPath(p.workflow.file), ref: p.workflow.ref },
    },
  };
}

const UNPARSABLE = Symbol('unparsable');

/** A deployment payload as GitHub returns it: an object, or a JSON string. */
function asObject(payload: unknown): unknown {
  if (typeof payload === 'string' && payload.trim() !== '') {
    try {
      return JSON.parse(payload) as unknown;
    } catch {
      return UNPARSABLE;
    }
  }
  return payload;
}

function issues(err: z.ZodError): string {
  return err.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`)
    .join('; ');
}

/** What a deployment's payload is to Stagegate. */
export type ParsedPayload = { kind: 'promotion'; payload: PromotionPayload } | { kind: 'rollback'; payload: RollbackPayload } | { kind: 'invalid'; why: string } | { kind: 'none' };

/** Reads a deployment payload: a Stagegate promotion or rollback, invalid (says why), or not Stagegate's at all. */
export function parseDeploymentPayload(payload: unknown): ParsedPayload {
  const value = asObject(payload);
  if (value === null || value === undefined || value === '' || (typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0)) return { kind: 'none' };
  if (value === UNPARSABLE || typeof value !== 'object' || Array.isArray(value)) return { kind: 'invalid', why: 'the payload is not a JSON object' };
  const v = value as Record<string, unknown>;
  if (v.stagegate === undefined) return { kind: 'invalid', why: 'the payload has no `stagegate` version (it was not written by this version of Stagegate)' };
  if (v.kind === 'rollback') {
    const r = rollbackPayloadSchema.safeParse(v);
    return r.success ? { kind: 'rollback', payload: r.data } : { kind: 'invalid', why: issues(r.error) };
  }
  const r = promotionPayloadSchema.safeParse(v);
  return r.success ? { kind: 'promotion', payload: r.data } : { kind: 'invalid', why: issues(r.error) };
}
