import type { ConfigSource } from '../config/load.js';
import { isNotFound, type GitHubRequester } from './client.js';

/** Reads configuration files through the contents API; 404 (no file or no ref) reads as absent. */
export function githubConfigSource(client: GitHubRequester): ConfigSource {
  return {
    async read({ owner, repo, path, ref }) {
      try {
        const res = await client.request('GET /repos/{owner}/{repo}/contents/{path}', { owner, repo, path, ...(ref ? { ref } : {}) });
        const data = res.data as { type?: string; content?: string; encoding?: string } | unknown[];
        if (Array.isArray(data) || data.type !== 'file' || typeof data.content !== 'string') {
          throw new Error(`${owner}/${repo}:${path} is not a file`);
        }
        return Buffer.from(data.content, data.encoding === 'base64' ? 'base64' : 'utf8').toString('utf8');
      } catch (err) {
        if (isNotFound(err)) return null;
        throw err;
      }
    },
  };
}
