/**
 * The contract between the Stagegate app and its Action (and the deploy workflow between them):
 * the check name, comment markers, the deployment payloads, the status description grammar, the
 * dispatch inputs and run name, and what makes a verification evidence. Both sides import it;
 * nothing else defines these formats.
 */
export * from './check.js';
export * from './markers.js';
export * from './status.js';
export * from './dispatch.js';
export * from './deployment-payload.js';
export * from './evidence.js';
