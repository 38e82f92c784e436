/** The demo story, in order: each chapter is a list of steps in its own file. Add a chapter by appending it here. */
import { chatopsSteps } from './chapters/chatops.js';
import { productionSteps } from './chapters/production.js';
import { releaseSteps } from './chapters/release.js';
import { stagingSteps } from './chapters/staging.js';
import type { StoryStepDef } from './step.js';

/** Every step of `npm run demo`, in story order. */
export const STORY_STEPS: readonly StoryStepDef[] = [...stagingSteps, ...productionSteps, ...releaseSteps, ...chatopsSteps];
