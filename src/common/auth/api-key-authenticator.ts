import type { ApiKeyCaller } from '../context/request-context.js';

/** The shape of a tenant API key's secret: `sk_test_…` or `sk_live_…`. */
export const API_KEY_PATTERN = /^sk_(test|live)_/;

export const looksLikeApiKey = (token: string): boolean => API_KEY_PATTERN.test(token);

/**
 * Authenticates a tenant API key presented as a bearer token (the auth module provides it). Throws
 * 401 for an unknown, malformed or revoked key. The key's tenant is fixed; whether it is still
 * live and its tenant not suspended is re-checked by the database on every request.
 */
export abstract class ApiKeyAuthenticator {
  abstract authenticate(secret: string): Promise<ApiKeyCaller>;
}
