import { Injectable } from '@nestjs/common';
import { ClsService, ClsStore } from 'nestjs-cls';
import { Errors } from '../errors/app-error.js';

export type TenantRole = 'tenant_admin' | 'tenant_user';

/** Who is calling: a signed-in person (bound to a server-side session). */
export interface Actor {
  userId: string;
  sessionId: string;
  isPlatformAdmin: boolean;
}

/**
 * A tenant API key that authenticated the request (server-to-server). It acts for its tenant only;
 * the database re-checks it (revocation, suspension) in the request's first statement, and
 * `touch` asks that statement to record `last_used_at`.
 */
export interface ApiKeyCaller {
  id: string;
  tenantId: string;
  mode: 'test' | 'live';
  touch: boolean;
}

/** The tenant a request acts on, and the caller's role in it (`null` for a platform admin who is not a member). */
export interface TenantScope {
  tenantId: string;
  role: TenantRole | null;
}

interface ContextStore extends ClsStore {
  actor?: Actor;
  apiKey?: ApiKeyCaller;
  tenant?: TenantScope;
  idempotencyKey?: string;
}

/**
 * The request's (or job's) actor and tenant, kept in CLS. The getters fail closed: code that
 * needs a tenant and runs without one throws instead of seeing every tenant.
 */
@Injectable()
export class RequestContext {
  constructor(private readonly cls: ClsService<ContextStore>) {}

  get requestId(): string {
    return this.cls.isActive() ? (this.cls.getId() ?? 'none') : 'none';
  }

  get actor(): Actor {
    const actor = this.cls.isActive() ? this.cls.get('actor') : undefined;
    if (!actor) throw Errors.unauthenticated();
    return actor;
  }

  get actorOrNull(): Actor | null {
    return (this.cls.isActive() && this.cls.get('actor')) || null;
  }

  /** The API key that authenticated the request, if one did (then there is no actor). */
  get apiKeyOrNull(): ApiKeyCaller | null {
    return (this.cls.isActive() && this.cls.get('apiKey')) || null;
  }

  get tenant(): TenantScope {
    const tenant = this.cls.isActive() ? this.cls.get('tenant') : undefined;
    if (!tenant) throw new Error('No tenant in context: this code path must run inside a tenant scope');
    return tenant;
  }

  get tenantId(): string {
    return this.tenant.tenantId;
  }

  get tenantIdOrNull(): string | null {
    return (this.cls.isActive() && this.cls.get('tenant')?.tenantId) || null;
  }

  setActor(actor: Actor): void {
    this.cls.set('actor', actor);
  }

  setApiKey(apiKey: ApiKeyCaller): void {
    this.cls.set('apiKey', apiKey);
  }

  setTenant(tenant: TenantScope): void {
    this.cls.set('tenant', tenant);
  }

  /** The request's `Idempotency-Key`, once claimed: work that calls out (a charge) derives its own key from it. */
  get idempotencyKeyOrNull(): string | null {
    return (this.cls.isActive() && this.cls.get('idempotencyKey')) || null;
  }

  setIdempotencyKey(key: string): void {
    this.cls.set('idempotencyKey', key);
  }
}
