import { AppError, Errors } from '../../common/errors/app-error.js';

export const AuthErrors = {
  badCredentials: () => Errors.unauthenticated('Email or password is wrong'),
  emailTaken: () => new AppError(409, 'conflict', 'Conflict', 'An account with this email already exists'),
  invalidRefreshToken: () => Errors.unauthenticated('Refresh token is invalid, expired or already used'),
  wrongCurrentPassword: () =>
    Errors.validation('Current password is wrong', [{ field: 'currentPassword', message: 'does not match' }]),
  weakPassword: (field: 'password' | 'newPassword', message: string) =>
    Errors.validation(`${field} ${message}`, [{ field, message: `${field} ${message}` }]),
  platformAdminsOnly: () => Errors.forbidden('The ops dashboard is for platform admins only'),
};
