/**
 * What a signed-in person can read, asked of GitHub with their own user access token: the installations of this
 * app they can reach (`GET /user/installations`) and, in each, the repositories they can read
 * (`GET /user/installations/{id}/repositories`, with their permission). Reused for a short while per token.
 */
import { createHash } from 'node:crypto';
import { Octokit } from '@octokit/rest';
import { LRUCache } from 'lru-cache';

/** A repository the person can read, with the installation the app reads it through. */
export interface ReadableRepo {
  fullName: string;
  installationId: number;
  permission: 'admin' | 'write' | 'read';
  htmlUrl: string;
  defaultBranch: string;
}

/** The repositories a token's person can read where this app is installed, by lower-cased full name. */
export type Access = Map<string, ReadableRepo>;

interface InstallationJson {
  id: number;
  app_id: number;
}
interface RepoJson {
  full_name: string;
  html_url: string;
  default_branch?: string;
  permissions?: { admin?: boolean; push?: boolean; pull?: boolean };
}

/** A user's client for GitHub's REST API. */
export function userClient(apiUrl: string, token: string): Octokit {
  return new Octokit({ auth: token, baseUrl: apiUrl, userAgent: 'stagegate-health', request: { retries: 0 } });
}

/** Reads and briefly caches what people can read. */
export class UserAccess {
  private readonly cache: LRUCache<string, Promise<Access>>;

  constructor(
    private readonly apiUrl: string,
    private readonly appId: () => Promise<number>,
    ttlMs: number,
  ) {
    this.cache = new LRUCache({ max: 1000, ttl: ttlMs });
  }

  /** The person's readable repositories; a failure (a revoked token answers 401) is not cached and throws. */
  access(token: string): Promise<Access> {
    const key = createHash('sha256').update(token).digest('hex');
    let p = this.cache.get(key);
    if (!p) {
      p = this.read(token);
      this.cache.set(key, p);
      p.catch(() => this.cache.delete(key));
    }
    return p;
  }

  private async read(token: string): Promise<Access> {
    const gh = userClient(this.apiUrl, token);
    const appId = await this.appId();
    const installations = (await gh.paginate('GET /user/installations', { per_page: 100 })) as unknown as InstallationJson[];
    const out: Access = new Map();
    for (const inst of installations.filter((i) => i.app_id === appId)) {
      const repos = (await gh.paginate('GET /user/installations/{installation_id}/repositories', { installation_id: inst.id, per_page: 100 })) as unknown as RepoJson[];
      for (const r of repos) {
        const p = r.permissions ?? {};
        if (!p.pull && !p.push && !p.admin) continue;
        out.set(r.full_name.toLowerCase(), {
          fullName: r.full_name,
          installationId: inst.id,
          permission: p.admin ? 'admin' : p.push ? 'write' : 'read',
          htmlUrl: r.html_url,
          defaultBranch: r.default_branch ?? 'main',
        });
      }
    }
    return out;
  }
}
