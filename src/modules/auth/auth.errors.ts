import { moduleErrors } from '../../common/errors/module-errors.js';

export enum AuthErrorCode {
  BadCredentials = 'bad_credentials',
  EmailTaken = 'email_taken',
  InvalidRefreshToken = 'invalid_refresh_token',
  SessionRevoked = 'session_revoked',
  WrongCurrentPassword = 'wrong_current_password',
  /** The detail and the field error name the field and what the password lacks. */
  WeakPassword = 'weak_password',
  PlatformAdminsOnly = 'platform_admins_only',
  OpsSignInRequired = 'ops_sign_in_required',
  InvalidApiKey = 'invalid_api_key',
  UnknownApiKey = 'unknown_api_key',
  ApiKeyNotFound = 'api_key_not_found',
}

export const AuthErrors = moduleErrors<AuthErrorCode>({
  [AuthErrorCode.BadCredentials]: {
    status: 401,
    code: 'unauthenticated',
    title: 'Unauthenticated',
    detail: 'Email or password is wrong',
  },
  [AuthErrorCode.EmailTaken]: {
    status: 409,
    code: 'conflict',
    title: 'Conflict',
    detail: 'An account with this email already exists',
  },
  [AuthErrorCode.InvalidRefreshToken]: {
    status: 401,
    code: 'unauthenticated',
    title: 'Unauthenticated',
    detail: 'Refresh token is invalid, expired or already used',
  },
  [AuthErrorCode.SessionRevoked]: {
    status: 401,
    code: 'unauthenticated',
    title: 'Unauthenticated',
    detail: 'Session expired or revoked',
  },
  [AuthErrorCode.WrongCurrentPassword]: {
    status: 400,
    code: 'validation_failed',
    title: 'Validation failed',
    detail: 'Current password is wrong',
  },
  [AuthErrorCode.WeakPassword]: {
    status: 400,
    code: 'validation_failed',
    title: 'Validation failed',
    detail: 'The password is too weak',
  },
  [AuthErrorCode.PlatformAdminsOnly]: {
    status: 403,
    code: 'forbidden',
    title: 'Forbidden',
    detail: 'The ops dashboard is for platform admins only',
  },
  [AuthErrorCode.OpsSignInRequired]: {
    status: 401,
    code: 'unauthenticated',
    title: 'Unauthenticated',
    detail: 'Sign in at /admin/login as a platform admin',
  },
  [AuthErrorCode.InvalidApiKey]: { status: 401, code: 'unauthenticated', title: 'Unauthenticated', detail: 'Invalid API key' },
  [AuthErrorCode.UnknownApiKey]: {
    status: 401,
    code: 'unauthenticated',
    title: 'Unauthenticated',
    detail: 'Invalid or revoked API key',
  },
  [AuthErrorCode.ApiKeyNotFound]: { status: 404, code: 'not_found', title: 'Not found', detail: 'API key not found' },
});
