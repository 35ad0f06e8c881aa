import { Body, Controller, Delete, Get, Put } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsISO8601 } from 'class-validator';
import { PlatformAdmin } from '../auth/access.js';
import { RequestContext } from '../context/request-context.js';
import { ApiProblems } from '../http/api-problems.decorator.js';
import { Clock } from './clock.service.js';
import { ClockErrors } from './clock.errors.js';
import { ClockMoved } from './clock-moved.js';

export class SetClockDto {
  /** The new application time (forward only). @example "2030-01-16T00:00:00Z" */
  @ApiProperty({ format: 'date-time' })
  @IsISO8601({ strict: true })
  now!: string;
}

export class ClockDto {
  @ApiProperty({ format: 'date-time' })
  now!: string;
  /** Whether PUT and DELETE may move it (CLOCK_CONTROL=true outside production); otherwise it is real time. */
  controllable!: boolean;
}

@ApiTags('admin')
@Controller('v1/admin/clock')
export class ClockController {
  constructor(
    private readonly clock: Clock,
    private readonly clockMoved: ClockMoved,
    private readonly context: RequestContext,
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
  @ApiProblems(400, 409)
  async set(@Body() dto: SetClockDto): Promise<ClockDto> {
    if (!this.clock.controllable) throw ClockErrors.controlOff();
    const target = new Date(dto.now);
    if (target.getTime() < this.clock.now().getTime()) throw ClockErrors.backwards();
    // Due renewals and retries run at once, as if that time had come: asked for in the move's own
    // transaction, so the move answers at once and the work still happens.
    const now = await this.clock.moveTo(target, this.context.actorOrNull?.userId ?? null, (em, at) =>
      this.clockMoved.moved(em, at),
    );
    return { now: now.toISOString(), controllable: true };
  }

  @Delete()
  @PlatformAdmin()
  @ApiOperation({
    operationId: 'adminResetClock',
    summary: 'Reset the application clock to real time (CLOCK_CONTROL=true, not production)',
  })
  @ApiOkResponse({ type: ClockDto })
  @ApiProblems(409)
  async reset(): Promise<ClockDto> {
    if (!this.clock.controllable) throw ClockErrors.controlOff();
    return { now: (await this.clock.reset(this.context.actorOrNull?.userId ?? null)).toISOString(), controllable: true };
  }
}
