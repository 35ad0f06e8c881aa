import { timingSafeEqual } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock/clock.service.js';
import { ApiKeyAuthenticator } from '../../common/auth/api-key-authenticator.js';
import type { ApiKeyCaller } from '../../common/context/request-context.js';
import { prepared, PreparedStatements } from '../../database/prepared.js';
import { type ApiKeyMode, hashApiKey, parseApiKey } from './api-key-secret.js';
import { AuthErrorCode, AuthErrors } from './auth.errors.js';

const LOOKUP = prepared('api_key_authenticate', 'select key_id, key_tenant, key_mode from api_key_authenticate($1, $2)');

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
    private readonly sql: PreparedStatements,
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
      const [row] = await this.sql.rows<{ key_id: string; key_tenant: string; key_mode: ApiKeyMode }>(LOOKUP, [
        parsed.prefix,
        hash,
      ]);
      if (!row) throw AuthErrors.of(AuthErrorCode.UnknownApiKey);
      key = { id: row.key_id, tenantId: row.key_tenant, mode: row.key_mode, hash, touchedAt: 0 };
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
