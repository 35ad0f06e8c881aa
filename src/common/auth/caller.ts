import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { ClsServiceManager } from 'nestjs-cls';
import { Errors } from '../errors/app-error.js';
import { RequestContext, type Actor, type ApiKeyCaller, type TenantRole } from '../context/request-context.js';

declare const tenantIdBrand: unique symbol;

/**
 * A tenant id that came through a wall: the access guard resolved it for a request, or a job
 * carried it from a transaction that ran in that tenant. Repositories and services that touch
 * tenant data take one (or a `TenantCaller`), so forgetting the tenant does not compile; CLS, the
 * MikroORM filter and row-level security stay behind it.
 */
export type TenantId = string & { readonly [tenantIdBrand]: true };

/** Who is calling, as the access guard established it. */
export interface Caller {
  /** The signed-in person (null for an API key or the worker). */
  actor: Actor | null;
  /** The tenant API key that authenticated the request, if one did. */
  apiKey: ApiKeyCaller | null;
}

/** A caller acting on one tenant: every tenant-data service method takes one as its first argument. */
export interface TenantCaller extends Caller {
  tenantId: TenantId;
  /** The caller's role in the tenant; null for an API key, the worker, or a platform admin who is not a member. */
  role: TenantRole | null;
}

/**
 * Brands a tenant id that a job's payload carried. Only for job processors and the platform path,
 * whose ids were written by code that held a `TenantId`; request code gets its caller from `@Caller()`.
 */
export const trustedTenantId = (id: string): TenantId => id as TenantId;

/** The worker acting for a tenant (renewals, proration, warnings): no person, no key. */
export const systemCaller = (tenantId: TenantId): TenantCaller => ({ actor: null, apiKey: null, tenantId, role: null });

/** The caller the access guard put into the request context; `tenant` requires a resolved tenant. */
export function callerFrom(context: RequestContext, tenant: true): TenantCaller;
export function callerFrom(context: RequestContext, tenant?: false): Caller;
export function callerFrom(context: RequestContext, tenant = false): Caller | TenantCaller {
  const caller: Caller = { actor: context.actorOrNull, apiKey: context.apiKeyOrNull };
  if (!tenant) return caller;
  const scope = context.tenantIdOrNull ? context.tenant : null;
  // Fails closed: a route that reads a tenant caller without `@Access({ tenant: true })` never sees one.
  if (!scope) throw Errors.forbidden('This route acts on a tenant');
  return { ...caller, tenantId: trustedTenantId(scope.tenantId), role: scope.role };
}

/**
 * The route's caller, explicit (Immich's `@Auth() auth`): `@Caller() caller: Caller`, or
 * `@Caller({ tenant: true }) caller: TenantCaller` on tenant routes. Controllers pass it on as the
 * first argument of the service call. CLS stays the store behind it.
 */
export const Caller = createParamDecorator((options: { tenant?: boolean } | undefined, _ctx: ExecutionContext) => {
  const context = new RequestContext(ClsServiceManager.getClsService());
  return options?.tenant ? callerFrom(context, true) : callerFrom(context, false);
});

/** `@TenantCaller() caller: TenantCaller` = `@Caller({ tenant: true })`. */
export const TenantCaller = () => Caller({ tenant: true });
