import { moduleErrors } from '../../common/errors/module-errors.js';

export enum PlanErrorCode {
  PlanNotFound = 'plan_not_found',
  CodeTaken = 'plan_code_taken',
  AlreadyArchived = 'plan_already_archived',
  NotPurchasable = 'plan_not_purchasable',
  InvalidVersionCursor = 'invalid_version_cursor',
  /** A write that would cross a plan's hard limit (metering's counters, subscriptions' seats). */
  LimitExceeded = 'limit_exceeded',
}

export const PlanErrors = moduleErrors<PlanErrorCode>({
  [PlanErrorCode.PlanNotFound]: { status: 404, code: 'not_found', title: 'Not found', detail: 'Plan not found' },
  [PlanErrorCode.CodeTaken]: { status: 409, code: 'conflict', title: 'Conflict', detail: 'A plan with this code already exists' },
  [PlanErrorCode.AlreadyArchived]: {
    status: 409,
    code: 'invalid_transition',
    title: 'Invalid transition',
    detail: 'The plan is already archived',
  },
  [PlanErrorCode.NotPurchasable]: {
    status: 400,
    code: 'validation_failed',
    title: 'Validation failed',
    detail: 'This plan cannot be subscribed to',
  },
  [PlanErrorCode.InvalidVersionCursor]: {
    status: 400,
    code: 'validation_failed',
    title: 'Validation failed',
    detail: 'Invalid cursor',
  },
  [PlanErrorCode.LimitExceeded]: {
    status: 403,
    code: 'limit_exceeded',
    title: 'Limit exceeded',
    detail: "The plan's limit would be crossed",
  },
});

/** What a refused write asked for against a plan's hard limit: the answer's detail and extensions. */
export interface LimitRefusal {
  metric: string;
  limit: number;
  used: number;
  requested: number;
  /** When a counter's period ends (null for a gauge). */
  resetsAt: Date | null;
}

export const limitExceeded = ({ metric, limit, used, requested, resetsAt }: LimitRefusal) =>
  PlanErrors.of(PlanErrorCode.LimitExceeded, {
    detail: `The plan allows ${limit} ${metric}; ${used} used, ${requested} more requested`,
    extensions: { metric, limit, used, requested, resetsAt: resetsAt?.toISOString() ?? null },
  });
