import type { Rule } from '../gate/types.js';
import { approvalsRule } from './approvals.js';
import { freezeRule } from './freeze.js';
import { lockRule } from './lock.js';
import { requiredChecksRule } from './required-checks.js';
import { riskRule } from './risk.js';
import { separationOfDutiesRule } from './separation-of-duties.js';
import { verifiedCommitsRule } from './verified-commits.js';
import { verifiedInRule } from './verified-in.js';
import { windowsRule } from './windows.js';

export { approvalsRule, freezeRule, lockRule, requiredChecksRule, riskRule, separationOfDutiesRule, verifiedCommitsRule, verifiedInRule, windowsRule };

/** Every gate rule, in display order. */
export const rules: readonly Rule[] = [approvalsRule, separationOfDutiesRule, verifiedCommitsRule, riskRule, requiredChecksRule, verifiedInRule, windowsRule, freezeRule, lockRule];
