import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger, Optional } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppConfig } from '../../config/config.js';
import { AppError, Errors, FieldError } from './app-error.js';
import { DEPENDENCY_NAMES, outageOf } from './outages.js';
import { problemTypeUri } from './problem-types.js';

/** Retry-After of an outage answer when no configuration is at hand (OUTAGE_RETRY_AFTER_SECONDS otherwise). */
export const DEFAULT_OUTAGE_RETRY_AFTER_SECONDS = 5;

export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  errors?: FieldError[];
  requestId: string;
  [extension: string]: unknown;
}

const CODE_BY_STATUS: Record<number, [string, string]> = {
  400: ['validation_failed', 'Validation failed'],
  401: ['unauthenticated', 'Unauthenticated'],
  403: ['forbidden', 'Forbidden'],
  404: ['not_found', 'Not found'],
  405: ['method_not_allowed', 'Method not allowed'],
  408: ['request_timeout', 'Request timeout'],
  409: ['conflict', 'Conflict'],
  413: ['payload_too_large', 'Payload too large'],
  414: ['uri_too_long', 'URI too long'],
  415: ['unsupported_media_type', 'Unsupported media type'],
  431: ['headers_too_large', 'Request headers too large'],
  429: ['rate_limited', 'Too many requests'],
};

/**
 * Maps any thrown value to an RFC 9457 problem-details answer. A dependency that is unavailable
 * (PostgreSQL restarting, Redis down or hung) is a 503 `service_unavailable` with Retry-After;
 * other unexpected errors become an opaque 500.
 */
export function toProblem(
  error: unknown,
  requestId: string,
  retryAfterSeconds = DEFAULT_OUTAGE_RETRY_AFTER_SECONDS,
): { problem: ProblemDetails; headers: Record<string, string> } {
  if (error instanceof AppError) {
    return {
      problem: {
        type: problemTypeUri(error.code),
        title: error.title,
        status: error.status,
        code: error.code,
        detail: error.message,
        ...(error.errors ? { errors: error.errors } : {}),
        ...(error.extensions ?? {}),
        requestId,
      },
      headers: error.headers ?? {},
    };
  }
  const status = httpStatusOf(error);
  if (status && status < 500) {
    const [code, title] = CODE_BY_STATUS[status] ?? ['bad_request', 'Bad request'];
    return toProblem(new AppError(status, code, title, clientMessage(error, title)), requestId);
  }
  const outage = outageOf(error);
  if (outage) {
    const detail = `${DEPENDENCY_NAMES[outage]} is unavailable for a moment; nothing was changed. Retry after ${retryAfterSeconds} seconds`;
    return toProblem(Errors.serviceUnavailable(detail, retryAfterSeconds), requestId);
  }
  return {
    problem: {
      type: problemTypeUri('internal'),
      title: 'Internal server error',
      status: 500,
      code: 'internal',
      detail: `Something went wrong; quote request id ${requestId} when reporting it`,
      requestId,
    },
    headers: {},
  };
}

function httpStatusOf(error: unknown): number | undefined {
  if (error instanceof HttpException) return error.getStatus();
  const status = (error as { statusCode?: unknown })?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

function clientMessage(error: unknown, fallback: string): string {
  if (error instanceof HttpException) {
    const body = error.getResponse();
    const message = typeof body === 'string' ? body : (body as { message?: unknown }).message;
    return Array.isArray(message) ? message.join('; ') : String(message ?? fallback);
  }
  return (error as Error)?.message ?? fallback;
}

@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('Errors');

  constructor(@Optional() private readonly config?: AppConfig) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const { problem, headers } = toProblem(error, String(request.id), this.config?.OUTAGE_RETRY_AFTER_SECONDS);
    // An outage is logged without its stack (one line per request, at warn); anything else in full.
    if (problem.status === 503) this.logger.warn({ requestId: request.id, reason: (error as Error)?.message }, problem.detail);
    else if (problem.status >= 500) this.logger.error({ err: error, requestId: request.id }, 'Unhandled error');
    void reply.status(problem.status).headers(headers).type('application/problem+json').send(problem);
  }
}
