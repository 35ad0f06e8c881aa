import { Injectable } from '@nestjs/common';

/**
 * The application clock: everything time-based reads it, never `new Date()` in business code.
 * (The controllable, process-shared clock arrives with billing; today it is the system time.)
 */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }
}
