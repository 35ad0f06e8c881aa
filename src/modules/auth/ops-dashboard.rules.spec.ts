import { opsWriteAction } from './ops-dashboard.rules.js';

const base = '/admin/queues/api/queues';

describe('ops dashboard write actions', () => {
  it('ignores reads', () => {
    for (const method of ['GET', 'HEAD', 'OPTIONS']) expect(opsWriteAction(method, `${base}/:queueName/:jobId`)).toBeNull();
  });

  it.each([
    ['PUT', `${base}/:queueName/:jobId/retry`, 'ops.queue.retry', 'job'],
    ['PUT', `${base}/:queueName/retry/:queueStatus`, 'ops.queue.retry', 'queue'],
    ['PUT', `${base}/:queueName/clean/:queueStatus`, 'ops.queue.clean', 'queue'],
    ['PUT', `${base}/:queueName/:jobId/clean`, 'ops.queue.clean', 'job'],
    ['PUT', `${base}/:queueName/promote`, 'ops.queue.promote', 'queue'],
    ['PUT', `${base}/:queueName/:jobId/promote`, 'ops.queue.promote', 'job'],
    ['POST', `${base}/:queueName/add`, 'ops.queue.add', 'queue'],
    ['PUT', `${base}/pause`, 'ops.queue.pause', 'queues'],
    ['PUT', `${base}/:queueName/resume`, 'ops.queue.resume', 'queue'],
    ['PUT', `${base}/:queueName/obliterate`, 'ops.queue.obliterate', 'queue'],
    ['PATCH', `${base}/:queueName/:jobId/update-data`, 'ops.queue.update_data', 'job'],
    ['PUT', `${base}/:queueName/job-schedulers/:schedulerId/remove`, 'ops.queue.remove', 'job_scheduler'],
    ['PATCH', `${base}/:queueName/job-schedulers/:schedulerId`, 'ops.queue.update_job_scheduler', 'job_scheduler'],
    ['POST', '/admin/queues/api/metrics/history/purge', 'ops.queue.purge', 'queues'],
  ])('%s %s → %s', (method, route, action, targetType) => {
    expect(opsWriteAction(method, route)).toEqual({ action, targetType });
  });
});
