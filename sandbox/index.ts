/** The GitHub sandbox: a stand-in for github.com over real HTTP, backed by real git repositories. */
export { GitHubSandbox, verifyAppJwt, type ContractViolation, type SandboxOptions, type PersonRef, type UnsubscribedEvent } from './github-sandbox.js';
export type { Delivery } from './webhooks/sender.js';
export { summarize, type LedgerEntry, type LedgerSummary, type RequestLedger, type RateLimits } from './http/ledger.js';
export { signBody } from './webhooks/sender.js';
export type { WorkflowRun, StepResult, ActionEntry } from './runner/workflow-runner.js';
export type { JobEnvironment } from './runner/types.js';
export type { EnvironmentOptions } from './options.js';
export { webhookContract, type WebhookContract } from './webhook-contract.js';
export { servedOperations } from './routes/index.js';
export { startStack, startApp, deployWorkflow, type Stack, type AppProcess } from './stack.js';
export { startWorld, startStoryWorld, playStory, startStory, createShopRepo, STORY_STEPS, type World, type StoryResult, type StoryRun, type StoryStepDef, type StoryContext } from './story.js';
