import { moduleErrors } from '../../common/errors/module-errors.js';

export enum PolicyErrorCode {
  PolicyNotFound = 'policy_not_found',
  UnknownPolicy = 'unknown_policy',
  DuplicateMetric = 'duplicate_metric',
}

export const PolicyErrors = moduleErrors<PolicyErrorCode>({
  [PolicyErrorCode.PolicyNotFound]: { status: 404, code: 'not_found', title: 'Not found', detail: 'Policy not found' },
  [PolicyErrorCode.UnknownPolicy]: {
    status: 400,
    code: 'validation_failed',
    title: 'Validation failed',
    detail: 'Unknown policy',
  },
  [PolicyErrorCode.DuplicateMetric]: {
    status: 400,
    code: 'validation_failed',
    title: 'Validation failed',
    detail: 'Two policies limit the same metric',
  },
});
