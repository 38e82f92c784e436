import type { ConfigSource } from '../config/load.js';
import { isNotFound, type GitHubRequester } from './client.js';
import { conditionalGet, requestKey } from './conditional.js';
import { FactCache } from './fact-cache.js';

/** Options of {@link githubConfigSource}. */
export interface ConfigSourceOptions {
  /** Keeps each file with its ETag, so that a re-read is a conditional request (a `304` is free). */
  cache?: FactCache;
  /** Serve a copy validated this recently without asking (the policy changes no gate event; see `CHANGED_BY`). */
  reuseMs?: number;
}

/**
 * Reads configuration files through the contents API; 404 (no file or no ref) reads as absent.
 * With a cache, each read is conditional, and an absent file is remembered for `reuseMs`.
 */
export function githubConfigSource(client: GitHubRequester, opts: ConfigSourceOptions = {}): ConfigSource {
  const cache = opts.cache ?? new FactCache({ reuseMs: 0 });
  return {
    async read({ owner, repo, path, ref }) {
      const params = { owner, repo, path, ...(ref ? { ref } : {}) };
      const key = requestKey('GET /repos/{owner}/{repo}/contents/{path}', params);
      try {
        const res = await conditionalGet(client, cache, 'GET /repos/{owner}/{repo}/contents/{path}', params, { key, ...(opts.reuseMs ? { reuseMs: opts.reuseMs } : {}) });
        const data = res.data as typeof res.data | null;
        if (data === null) return null;
        if (Array.isArray(data) || data.type !== 'file' || !('content' in data) || typeof data.content !== 'string') {
          throw new Error(`${owner}/${repo}:${path} is not a file`);
        }
        return Buffer.from(data.content, data.encoding === 'base64' ? 'base64' : 'utf8').toString('utf8');
      } catch (err) {
        if (!isNotFound(err)) throw err;
        // Remembered as absent (no ETag: the next read after the reuse window asks again).
        await cache.putHttp(key, { etag: '', data: null, validatedAt: cache.now() });
        return null;
      }
    },
  };
}
