import type { Route } from './jobs.js';
import type { RouteKnowledge } from './handlers/common.js';
import { routeCheckRun, type CheckRunPayload } from './handlers/check-run.js';
import { routeCheckSuite, type CheckSuitePayload } from './handlers/check-suite.js';
import { routeDeploymentProtectionRule, type DeploymentProtectionRulePayload } from './handlers/deployment-protection-rule.js';
import { routeDeploymentStatus, type DeploymentStatusPayload } from './handlers/deployment-status.js';
import { routePullRequestReview, type PullRequestReviewPayload } from './handlers/pull-request-review.js';
import { routePullRequest, type PullRequestPayload } from './handlers/pull-request.js';
import { routePush, type PushPayload } from './handlers/push.js';
import { routeStatus, type StatusPayload } from './handlers/status.js';
import { routeWorkflowRun, type WorkflowRunPayload } from './handlers/workflow-run.js';
import { routeIssueComment, type IssueCommentPayload } from './handlers/issue-comment.js';

export type { RouteKnowledge } from './handlers/common.js';

/** A delivery the app routes, typed by Probot's (Octokit's) webhook payload types. */
export type RoutableEvent = { id: string } & (
  | { name: 'pull_request'; payload: PullRequestPayload }
  | { name: 'pull_request_review'; payload: PullRequestReviewPayload }
  | { name: 'check_run'; payload: CheckRunPayload }
  | { name: 'check_suite'; payload: CheckSuitePayload }
  | { name: 'status'; payload: StatusPayload }
  | { name: 'deployment_status'; payload: DeploymentStatusPayload }
  | { name: 'workflow_run'; payload: WorkflowRunPayload }
  | { name: 'push'; payload: PushPayload }
  | { name: 'deployment_protection_rule'; payload: DeploymentProtectionRulePayload }
  | { name: 'issue_comment'; payload: IssueCommentPayload }
);

/** The events (and actions) the app subscribes to; app.yml's `default_events` lists the same names. */
export const ROUTED_EVENTS = [
  'pull_request.opened',
  'pull_request.reopened',
  'pull_request.synchronize',
  'pull_request.edited',
  'pull_request.closed',
  'pull_request_review.submitted',
  'pull_request_review.edited',
  'pull_request_review.dismissed',
  'check_run.completed',
  'check_run.rerequested',
  'check_suite.completed',
  'status',
  'deployment_status',
  'workflow_run.completed',
  'push',
  'deployment_protection_rule.requested',
  'issue_comment.created',
] as const;

/**
 * Decides what a delivery needs, from the payload and what the app already knows, without any
 * request: nothing (and why), or one job. Pure.
 */
export function routeEvent(e: RoutableEvent, known: RouteKnowledge): Route {
  switch (e.name) {
    case 'pull_request':
      return routePullRequest(e, e.payload);
    case 'pull_request_review':
      return routePullRequestReview(e, e.payload);
    case 'check_run':
      return routeCheckRun(e, e.payload, known);
    case 'check_suite':
      return routeCheckSuite(e, e.payload, known);
    case 'status':
      return routeStatus(e, e.payload, known);
    case 'deployment_status':
      return routeDeploymentStatus(e, e.payload);
    case 'workflow_run':
      return routeWorkflowRun(e, e.payload);
    case 'push':
      return routePush(e, e.payload, known);
    case 'deployment_protection_rule':
      return routeDeploymentProtectionRule(e, e.payload);
    case 'issue_comment':
      return routeIssueComment(e, e.payload);
  }
}
