import type { BreakGlass } from '../break-glass/types.js';
import type { Config } from '../config/schema.js';
import type { RepoPermission } from '../facts/types.js';
import type { GateResult } from '../gate/types.js';
import { isActive } from '../locks/model.js';
import type { StageLock } from '../locks/types.js';
import type { CommandFacts, CommentTarget, MergeApproval, StageDeployment, StageOverview } from './types.js';

/** What a {@link fakeCommandFacts} world holds. */
export interface FakeCommandWorld {
  target: CommentTarget;
  roles?: Record<string, RepoPermission>;
  /** `@org/team` → member logins. */
  teams?: Record<string, string[]>;
  gate?: GateResult;
  locks?: StageLock[];
  breakGlass?: BreakGlass[];
  approvals?: MergeApproval[];
  /** Per stage, newest first. */
  deployments?: Record<string, StageDeployment[]>;
  heads?: Record<string, string>;
  overview?: StageOverview[];
  now?: () => Date;
}

/** A plain fake of {@link CommandFacts} for command tables; `reads` counts each read by name. */
export function fakeCommandFacts(w: FakeCommandWorld): CommandFacts & { reads: Record<string, number> } {
  const reads: Record<string, number> = {};
  const count = (name: string) => (reads[name] = (reads[name] ?? 0) + 1);
  const now = w.now ?? (() => new Date());
  return {
    reads,
    role: async (login) => (count('role'), w.roles?.[login.toLowerCase()] ?? 'none'),
    isMember: async (entries, login) => {
      count('isMember');
      return entries.some((e) => (e.startsWith('@') ? (w.teams?.[e.toLowerCase()] ?? []).includes(login.toLowerCase()) : e.toLowerCase() === login.toLowerCase()));
    },
    target: async () => (count('target'), w.target),
    gate: async () => {
      count('gate');
      if (!w.gate) throw new Error('fake: no gate');
      return w.gate;
    },
    lock: async (stage) => (count('lock'), w.locks?.find((l) => l.stage === stage && isActive(l, now())) ?? null),
    breakGlass: async (stage, pr, head) => (count('breakGlass'), w.breakGlass?.find((b) => b.stage === stage && b.pullRequest === pr && b.headSha === head.toLowerCase()) ?? null),
    mergeApproval: async (stage, sha) => (count('mergeApproval'), w.approvals?.find((a) => a.stage === stage && a.mergeSha === sha) ?? null),
    deployments: async (stage) => (count('deployments'), { items: w.deployments?.[stage] ?? [], complete: true }),
    branchHead: async (branch) => {
      count('branchHead');
      const h = w.heads?.[branch];
      if (!h) throw new Error(`fake: no head of ${branch}`);
      return h;
    },
    overview: async (_config: Config) => (count('overview'), w.overview ?? []),
    openFollowUps: async () => (count('openFollowUps'), w.breakGlass ?? []),
  };
}
