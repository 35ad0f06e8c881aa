import { Body, Controller, Get, Put } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsISO8601 } from 'class-validator';
import { PlatformAdmin } from '../auth/access.js';
import { Errors } from '../errors/app-error.js';
import { ApiProblems } from '../http/api-problems.decorator.js';
import { Clock } from './clock.service.js';
import { JobQueue, workJob } from '../../jobs/job-queue.js';
import { QUEUES, RENEWAL_SCAN_JOB } from '../../jobs/queues.js';

export class SetClockDto {
  /** The new application time (forward only). @example "2030-01-16T00:00:00Z" */
  @ApiProperty({ format: 'date-time' })
  @IsISO8601({ strict: true })
  now!: string;
}

export class ClockDto {
  @ApiProperty({ format: 'date-time' })
  now!: string;
  /** Whether PUT may move it (CLOCK_CONTROL=true outside production). */
  controllable!: boolean;
}

@ApiTags('admin')
@Controller('v1/admin/clock')
export class ClockController {
  constructor(
    private readonly clock: Clock,
    private readonly jobs: JobQueue,
  ) {}

  @Get()
  @PlatformAdmin()
  @ApiOperation({ operationId: 'adminGetClock', summary: 'The application clock' })
  @ApiOkResponse({ type: ClockDto })
  get(): ClockDto {
    return { now: this.clock.now().toISOString(), controllable: this.clock.controllable };
  }

  @Put()
  @PlatformAdmin()
  @ApiOperation({
    operationId: 'adminSetClock',
    summary: 'Move the application clock forward (CLOCK_CONTROL=true, not production); due renewals and retries run at once',
  })
  @ApiOkResponse({ type: ClockDto })
  @ApiProblems(400, 404, 409)
  async set(@Body() dto: SetClockDto): Promise<ClockDto> {
    if (!this.clock.controllable) throw Errors.notFound('Route');
    const target = new Date(dto.now);
    if (target.getTime() < this.clock.now().getTime()) throw Errors.conflict('The clock only moves forward');
    const now = await this.clock.moveTo(target);
    // Due renewals and retries run at once, as if that time had come (the scan is idempotent).
    await this.jobs.queue(QUEUES.renewals).add(RENEWAL_SCAN_JOB, {}, workJob(`scan-clock-${now.getTime()}`));
    return { now: now.toISOString(), controllable: true };
  }
}
