import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader } from '@nestjs/swagger';
import type { TenantRole } from '../context/request-context.js';
import { ApiProblems } from '../http/api-problems.decorator.js';

export const ACCESS_KEY = 'eshtarek:access';

export interface AccessRule {
  /** No authentication (sign-up, sign-in, refresh). */
  public?: boolean;
  /** The route acts on one tenant (API.md's "T" routes). */
  tenant?: boolean;
  /** Tenant roles allowed; omitted = any member. */
  roles?: TenantRole[];
  /** Only platform admins. */
  platformAdmin?: boolean;
  /**
   * Also accepts a tenant API key (`Authorization: Bearer sk_test_…` / `sk_live_…`), acting for
   * the key's tenant; `roles` apply to people only. Every route without it refuses API keys (403).
   */
  apiKey?: boolean;
}

/**
 * Declares who may call a route — authentication, tenant resolution and role — and documents the
 * same in OpenAPI (security scheme, X-Tenant-Id header, 401/403 answers). Every route carries one.
 */
export function Access(rule: AccessRule = {}) {
  const decorators: Array<ClassDecorator | MethodDecorator | PropertyDecorator> = [SetMetadata(ACCESS_KEY, rule)];
  if (!rule.public) {
    decorators.push(ApiBearerAuth('bearer'), ApiProblems(401, 403));
  }
  if (rule.apiKey) decorators.push(ApiBearerAuth('apiKey'));
  if (rule.tenant) {
    decorators.push(
      ApiHeader({
        name: 'X-Tenant-Id',
        required: false,
        description: 'Tenant to act on; may be left out when the caller belongs to exactly one tenant',
      }),
    );
  }
  return applyDecorators(...decorators);
}

export const Public = () => Access({ public: true });
export const TenantAdmin = () => Access({ tenant: true, roles: ['tenant_admin'] });
export const TenantMember = () => Access({ tenant: true });
export const PlatformAdmin = () => Access({ platformAdmin: true });
/** Metering reads: any member, or the tenant's API key. */
export const MeteringReader = () => Access({ tenant: true, apiKey: true });
/** Metering writes: a tenant_admin, or the tenant's API key. */
export const MeteringWriter = () => Access({ tenant: true, roles: ['tenant_admin'], apiKey: true });
