/** How a metric behaves over time: counters reset each billing period, gauges measure a current level. */
export type MetricKind = 'gauge' | 'counter';

/** Built-in metrics and their kind; any other key is a custom counter. */
export const BUILT_IN_METRICS: Readonly<Record<string, MetricKind>> = {
  max_users: 'gauge',
  storage_mb: 'gauge',
  api_calls: 'counter',
};

/** Hard refuses what would cross the limit; soft counts on and warns. */
export type Enforcement = 'hard' | 'soft';

export const METRIC_KEY = /^[a-z][a-z0-9_]{0,62}$/;

export function kindOf(metric: string): MetricKind {
  // hasOwn: metric keys such as "constructor" must not reach Object.prototype.
  return Object.hasOwn(BUILT_IN_METRICS, metric) ? BUILT_IN_METRICS[metric] : 'counter';
}

export const DEFAULT_WARNING_THRESHOLDS = [80, 100];
