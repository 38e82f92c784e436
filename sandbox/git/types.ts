/** What git records and reports, as the sandbox reads it. */

/** A person as git records them on a commit. */
export interface GitIdentity {
  name: string;
  email: string;
  /** ISO date; now when absent. */
  date?: string;
}

/** A commit as read back from git. */
export interface GitCommitInfo {
  sha: string;
  tree: string;
  parents: string[];
  author: Required<GitIdentity>;
  committer: Required<GitIdentity>;
  message: string;
}

/** One changed file between two commits, as `git diff` reports it. */
export interface GitFileChange {
  filename: string;
  previousFilename?: string;
  status: 'added' | 'removed' | 'modified' | 'renamed';
  additions: number;
  deletions: number;
  patch: string;
  blobSha: string;
}

/** One entry of a tree listing. */
export interface GitTreeEntry {
  type: 'blob' | 'tree';
  sha: string;
  path: string;
  name: string;
  size: number;
}
