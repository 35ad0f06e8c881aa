/** Which ops dashboard requests are write actions, and how the audit log names them. Pure. */

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface OpsWriteAction {
  /** `ops.queue.<verb>`, e.g. `ops.queue.retry`, `ops.queue.clean`, `ops.queue.add`. */
  action: string;
  targetType: 'job' | 'job_scheduler' | 'queue' | 'queues';
}

/**
 * The audit action of a Bull Board request, from its method and route pattern (e.g. `PUT
 * /admin/queues/api/queues/:queueName/:jobId/retry` → `ops.queue.retry` on a job); null for a
 * read. The verb is the route's last literal segment, so an action added by a later Bull Board
 * version is still recorded, under its own name.
 */
export function opsWriteAction(method: string, route: string): OpsWriteAction | null {
  if (READS.has(method.toUpperCase())) return null;
  const segments = route.split('?')[0].split('/').filter(Boolean);
  const literals = segments.filter((s) => !s.startsWith(':') && s !== '*');
  let verb = (literals.at(-1) ?? 'unknown').replace(/-/g, '_');
  // A write on a resource itself (PATCH …/job-schedulers/:schedulerId) is its update.
  if (method.toUpperCase() === 'PATCH' && segments.at(-1)?.startsWith(':')) verb = `update_${verb.replace(/s$/, '')}`;
  const targetType = route.includes(':jobId')
    ? 'job'
    : route.includes(':schedulerId')
      ? 'job_scheduler'
      : route.includes(':queueName')
        ? 'queue'
        : 'queues';
  return { action: `ops.queue.${verb}`, targetType };
}
