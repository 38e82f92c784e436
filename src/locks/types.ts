/** A hold on a stage (`/stagegate lock`): while active, the stage's gates are pending and no merge deploys to it. */
export interface StageLock {
  /** Unique id of this lock (one per `lock` command that took it). */
  id: string;
  /** `owner/name`. */
  repository: string;
  stage: string;
  /** Login of who locked it. */
  holder: string;
  reason: string | null;
  /** ISO 8601. */
  lockedAt: string;
  /** When it releases itself (ISO 8601); null: until unlocked. */
  expiresAt: string | null;
  /** The pull request and comment the lock was taken on. */
  pullRequest: number | null;
  commentUrl: string | null;
}

/** How a lock ended. */
export type LockRelease = { how: 'unlocked'; by: string; at: string; commentUrl: string | null } | { how: 'expired'; at: string };

/** A lock with its end, when it has ended. */
export interface LockRecord extends StageLock {
  release: LockRelease | null;
}
