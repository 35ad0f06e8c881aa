import { BadRequestException, NotFoundException } from '@nestjs/common';
import { ConnectionException, DriverException } from '@mikro-orm/core';
import { Errors } from './app-error.js';
import { RedisUnavailableError } from './outages.js';
import { toProblem } from './problem-details.filter.js';

describe('toProblem', () => {
  it('maps an AppError with its code, field errors and headers', () => {
    const { problem, headers } = toProblem(Errors.rateLimited(12.2), 'req-1');
    expect(problem).toMatchObject({ status: 429, code: 'rate_limited', requestId: 'req-1' });
    expect(headers).toEqual({ 'Retry-After': '13' });
    const validation = toProblem(Errors.validation('bad', [{ field: 'email', message: 'must be an email' }]), 'r').problem;
    expect(validation.errors).toEqual([{ field: 'email', message: 'must be an email' }]);
  });

  it('maps framework and Fastify errors by status', () => {
    expect(toProblem(new NotFoundException('Cannot GET /x'), 'r').problem).toMatchObject({ status: 404, code: 'not_found' });
    expect(toProblem(new BadRequestException('bad'), 'r').problem).toMatchObject({ status: 400, code: 'validation_failed' });
    const tooLarge = Object.assign(new Error('Request body is too large'), { statusCode: 413 });
    expect(toProblem(tooLarge, 'r').problem).toMatchObject({ status: 413, code: 'payload_too_large' });
    expect(toProblem(Errors.uriTooLong(), 'r').problem).toMatchObject({ status: 414, code: 'uri_too_long' });
    const headers = Object.assign(new Error('The request headers are too large'), { statusCode: 431 });
    expect(toProblem(headers, 'r').problem).toMatchObject({ status: 431, code: 'headers_too_large' });
  });

  it('hides unexpected errors behind an opaque 500 naming the request id', () => {
    const { problem } = toProblem(new Error('password=hunter2 in SQL'), 'req-9');
    expect(problem).toMatchObject({ status: 500, code: 'internal' });
    expect(JSON.stringify(problem)).not.toContain('hunter2');
    expect(problem.detail).toContain('req-9');
  });

  it('answers an unavailable dependency with 503 and Retry-After, never an opaque 500', () => {
    const pgError = (message: string, code?: string) => Object.assign(new Error(message), code ? { code } : {});
    const outages: unknown[] = [
      new RedisUnavailableError('not connected'),
      new Error('Command timed out'),
      Object.assign(new Error('Reached the max retries per request limit (which is 1).'), { name: 'MaxRetriesPerRequestError' }),
      new Error("Stream isn't writeable and enableOfflineQueue options is false"),
      pgError('terminating connection due to administrator command', '57P01'),
      pgError('the database system is starting up', '57P03'),
      pgError('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'),
      new Error('Connection terminated unexpectedly'),
      new DriverException(pgError('the database system is shutting down', '57P03')),
      new ConnectionException(new Error('connection lost')),
      new Error('wrapped', { cause: pgError('server closed the connection unexpectedly', '08006') }),
    ];
    for (const error of outages) {
      const { problem, headers } = toProblem(error, 'r', 7);
      expect({ message: (error as Error).message, status: problem.status, code: problem.code, headers }).toEqual({
        message: (error as Error).message,
        status: 503,
        code: 'service_unavailable',
        headers: { 'Retry-After': '7' },
      });
    }
    expect(toProblem(new RedisUnavailableError('x'), 'r').problem.detail).toContain('Redis');
    // A constraint or syntax error is not an outage.
    expect(toProblem(pgError('duplicate key', '23505'), 'r').problem.status).toBe(500);
  });
});
