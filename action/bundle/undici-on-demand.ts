import { createRequire } from 'node:module';
import type * as Undici from 'undici';

// What the bundled Action gets when a dependency imports `undici` (scripts/bundle.mjs aliases it here).
// @actions/github and @actions/http-client import undici for two things: `fetch` (with a proxy
// dispatcher when one is configured) and `ProxyAgent` (built only when `https_proxy`/`http_proxy`
// applies to the API URL and `no_proxy` does not exclude it). Loading all of undici costs about a
// third of the bundle's start-up, so:
// - `fetch` without a dispatcher is Node's own global fetch (undici inside Node itself);
// - `ProxyAgent`, and `fetch` with a dispatcher, load the real undici from `undici.cjs` beside the
//   bundle (bundled separately from the `undici` dependency), so a proxy's dispatcher always runs
//   with the fetch of its own undici version.

type UndiciModule = typeof Undici;

let real: UndiciModule | null = null;

/** The real undici, loaded from `undici.cjs` beside the bundle on first use. */
export function loadUndici(): UndiciModule {
  if (!real) {
    try {
      real = createRequire(import.meta.url)('./undici.cjs') as UndiciModule;
    } catch (err) {
      throw new Error(`stagegate: a proxy is configured but undici.cjs could not be loaded beside the Action's bundle: ${(err as Error).message}`, { cause: err });
    }
  }
  return real;
}

/** True once the real undici has been loaded (a proxy dispatcher was needed). */
export function undiciLoaded(): boolean {
  return real !== null;
}

type FetchInit = RequestInit & { dispatcher?: unknown };

/** undici's `fetch`: the global fetch, or the real undici's when a dispatcher (a proxy) is given. */
export function fetch(input: string | URL | Request, init?: FetchInit): Promise<Response> {
  if (init?.dispatcher) return loadUndici().fetch(input, init);
  if (init && 'dispatcher' in init) {
    const { dispatcher: _none, ...rest } = init;
    return globalThis.fetch(input, rest);
  }
  return globalThis.fetch(input, init);
}

/** A constructor that builds the real undici's class of that name when called with `new`. */
function onDemand<K extends 'ProxyAgent' | 'Agent' | 'EnvHttpProxyAgent'>(name: K): UndiciModule[K] {
  const ctor = function (...args: unknown[]): object {
    const Real = loadUndici()[name] as unknown as new (...a: unknown[]) => object;
    return new Real(...args);
  };
  Object.defineProperty(ctor, 'name', { value: name });
  return ctor as unknown as UndiciModule[K];
}

/** undici's `ProxyAgent`, loaded on first construction. */
export const ProxyAgent = onDemand('ProxyAgent');
/** undici's `Agent`, loaded on first construction. */
export const Agent = onDemand('Agent');
/** undici's `EnvHttpProxyAgent`, loaded on first construction. */
export const EnvHttpProxyAgent = onDemand('EnvHttpProxyAgent');
