import { Controller, Get, Logger, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { MikroORM } from '@mikro-orm/postgresql';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import type { HealthCheckResult } from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';
import { Public } from '../../common/auth/access.js';
import { RedisClient } from '../../common/redis/redis.module.js';
import { SingleStatement } from '../../common/transaction/single-statement.js';

/**
 * Each readiness probe's own deadline (they run side by side): the answer comes within a second
 * whatever hangs. Redis fails at once when its connection is lost.
 */
const DATABASE_PROBE_TIMEOUT_MS = 900;
const REDIS_PROBE_TIMEOUT_MS = 500;

/**
 * Liveness and readiness for load balancers and orchestrators. Both run outside the unit of work
 * (`@SingleStatement()`: no request transaction, no pooled connection held), and a failed
 * readiness probe is an answer, not an error: 503 naming what is down (a disconnected Redis at
 * once, anything that does not answer in time), and one log line when that
 * changes — never a stack per probe.
 */
@ApiTags('health')
@Controller('health')
export class HealthController {
  private readonly logger = new Logger(HealthController.name);
  private lastDown = '';

  constructor(
    private readonly health: HealthCheckService,
    private readonly orm: MikroORM,
    private readonly indicators: HealthIndicatorService,
    private readonly redis: RedisClient,
  ) {}

  @Get('live')
  @Public()
  @SingleStatement()
  @HealthCheck()
  @ApiOperation({ operationId: 'healthLive', summary: 'The process is up (touches neither PostgreSQL nor Redis)' })
  live(): HealthCheckResult {
    return { status: 'ok', info: {}, error: {}, details: {} };
  }

  @Get('ready')
  @Public()
  @SingleStatement()
  @HealthCheck()
  @ApiOperation({ operationId: 'healthReady', summary: 'PostgreSQL and Redis answer' })
  @ApiServiceUnavailableResponse({
    description: 'Not ready: `error` names what is down (the probes give up in time for an answer within a second)',
  })
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthCheckResult> {
    let result: HealthCheckResult;
    try {
      result = await this.health.check([
        // Not terminus' MikroOrmHealthIndicator: it reports "down" until some other request has opened the pool.
        () =>
          this.indicators
            .check('database')
            .attempt(async () => {
              await this.orm.em.getConnection().execute('select 1');
            })
            .withTimeout(DATABASE_PROBE_TIMEOUT_MS),
        () =>
          this.indicators
            .check('redis')
            .attempt(async () => {
              this.redis.assertReady();
              await this.redis.ping();
            })
            .withTimeout(REDIS_PROBE_TIMEOUT_MS),
      ]);
    } catch (error) {
      result =
        error instanceof ServiceUnavailableException
          ? (error.getResponse() as HealthCheckResult)
          : { status: 'error', info: {}, error: { probe: { status: 'down', message: (error as Error).message } }, details: {} };
      void reply.status(503);
    }
    this.logChange(result);
    return result;
  }

  private logChange(result: HealthCheckResult): void {
    const down = Object.entries(result.error ?? {})
      .map(([name, detail]) => `${name} (${String((detail as { message?: unknown }).message ?? 'down')})`)
      .join(', ');
    if (down === this.lastDown) return;
    if (down) this.logger.warn(`Not ready: ${down} down`);
    else this.logger.log('Ready again');
    this.lastDown = down;
  }
}
