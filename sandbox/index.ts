/** The GitHub sandbox: a stand-in for github.com over real HTTP, backed by real git repositories. */
export { GitHubSandbox, verifyAppJwt, type ContractViolation, type SandboxOptions, type PersonRef } from './github-sandbox.js';
export type { Delivery } from './webhook-sender.js';
export { signBody } from './webhook-sender.js';
export type { WorkflowRun, StepResult, ActionEntry } from './workflow-runner.js';
export { webhookContract, type WebhookContract } from './webhook-contract.js';
export { servedOperations } from './routes.js';
export { startStack, startApp, deployWorkflow, type Stack, type AppProcess } from './stack.js';
export { startWorld, playStory, createShopRepo, type World, type StoryResult } from './story.js';
