import { AppError } from '../errors/app-error.js';

export const ClockErrors = {
  controlOff: () =>
    new AppError(
      409,
      'clock_control_off',
      'Clock control is off',
      'The application clock follows real time: start the API and the worker with CLOCK_CONTROL=true (outside production) to move it',
    ),
  backwards: () =>
    new AppError(409, 'conflict', 'Conflict', 'The clock only moves forward; DELETE /v1/admin/clock resets it to real time'),
};
