import { timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock/clock.service.js';
import { ApiKeyAuthenticator } from '../../common/auth/api-key-authenticator.js';
import type { ApiKeyCaller } from '../../common/context/request-context.js';
import { type ApiKeyMode, hashApiKey, parseApiKey } from './api-key-secret.rules.js';
import { ApiKeyRepository } from './api-key.repository.js';
import { AuthErrorCode, AuthErrors } from './auth.errors.js';

/** How often one process asks the database to record a key's last use. */
export const TOUCH_EVERY_MS = 60_000;
const REMEMBERED_KEYS = 10_000;

interface KnownKey {
  id: string;
  tenantId: string;
  mode: ApiKeyMode;
  hash: Buffer;
  touchedAt: number;
}

/**
 * Authenticates `Bearer sk_test_…` / `sk_live_…`. A key is found by its prefix through the narrow
 * `api_key_authenticate` function (the only lookup before the tenant is known) and remembered
 * here with its hash: what a key is (id, tenant, mode) never changes. Whether it is still live is
 * not remembered — the request's first statement re-checks it in the tenant (`api_key_enter`), so
 * a revocation is effective on the next request, with no extra round trip.
 */
@Injectable()
export class ApiKeyStrategy extends ApiKeyAuthenticator {
  private readonly known = new Map<string, KnownKey>();

  constructor(
    private readonly keys: ApiKeyRepository,
    private readonly clock: Clock,
  ) {
    super();
  }

  async authenticate(secret: string): Promise<ApiKeyCaller> {
    const parsed = parseApiKey(secret);
    if (!parsed) throw AuthErrors.of(AuthErrorCode.InvalidApiKey);
    const hash = hashApiKey(secret);
    let key = this.known.get(parsed.prefix);
    if (key && !timingSafeEqual(key.hash, hash)) throw AuthErrors.of(AuthErrorCode.InvalidApiKey);
    if (!key) {
      const found = await this.keys.authenticate(parsed.prefix, hash);
      if (!found) throw AuthErrors.of(AuthErrorCode.UnknownApiKey);
      key = { ...found, hash, touchedAt: 0 };
      this.remember(parsed.prefix, key);
    }
    if (key.mode !== parsed.mode) throw AuthErrors.of(AuthErrorCode.InvalidApiKey);
    const now = this.clock.realNow().getTime();
    const touch = now - key.touchedAt >= TOUCH_EVERY_MS;
    if (touch) key.touchedAt = now;
    return { id: key.id, tenantId: key.tenantId, mode: key.mode, touch };
  }

  private remember(prefix: string, key: KnownKey): void {
    if (this.known.size >= REMEMBERED_KEYS) this.known.delete(this.known.keys().next().value!);
    this.known.set(prefix, key);
  }
}
