import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { Test, type TestingModule } from '@nestjs/testing';
import { ClsService } from 'nestjs-cls';
import { AppModule } from '../../src/app.module.js';
import { AppConfig } from '../../src/config/config.js';
import { installCredentialSeal } from '../../src/database/setup.js';
import { TenantSession } from '../../src/database/tenant-session.js';
import { RequestContext } from '../../src/common/context/request-context.js';
import { trustedTenantId, type Caller, type TenantCaller } from '../../src/common/auth/caller.js';
import type { PlanLimit } from '../../src/modules/plans/plan-terms.rules.js';
import { cloneTemplateDatabase } from '../support/database.js';
import { testConfig } from '../support/app.js';

type Type<T> = abstract new (...args: never[]) => T;

export interface PlanSpec {
  code?: string;
  priceAmount?: bigint;
  currency?: string;
  interval?: 'day' | 'week' | 'month' | 'year';
  intervalCount?: number;
  trialDays?: number;
  durationCycles?: number | null;
  limits?: PlanLimit[];
}

/**
 * Service-level ("medium") tests, Immich's `newMediumService` model: the real services and
 * repositories of the app on a database cloned from the migrated template, without HTTP. A test
 * names its caller and calls the service as a controller would — `ctx.as(caller, () =>
 * service.x(caller, …))` — inside the same walls a request gets: the caller in CLS, one
 * transaction with the RLS settings of that caller, and the tenant filter.
 */
export interface MediumContext {
  get<T>(type: Type<T>): T;
  /** Runs `work` as `caller` in one transaction (a request's unit of work). */
  as<T>(caller: Caller | TenantCaller, work: () => Promise<T>): Promise<T>;
  /** SQL as the database owner (sees every tenant): set-up and assertions only. */
  owner<T extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<T[]>;
  /** A person; `platformAdmin` makes them one. */
  newUser(options?: { platformAdmin?: boolean }): Promise<Caller>;
  /** A tenant with a tenant_admin; answers that admin as a tenant caller. */
  newTenant(name?: string): Promise<TenantCaller>;
  /** Another member of `tenant` (tenant_user unless told). */
  newMember(tenant: TenantCaller, role?: 'tenant_admin' | 'tenant_user'): Promise<TenantCaller>;
  /** A published plan with one version; answers its id. */
  newPlan(spec?: PlanSpec): Promise<string>;
  close(): Promise<void>;
}

export async function newMediumContext(): Promise<MediumContext> {
  const database = await cloneTemplateDatabase();
  const config = testConfig(database, { DATABASE_POOL_SIZE: '4' });
  await installCredentialSeal(database.ownerUrl, config.JWT_SECRET);
  const module: TestingModule = await Test.createTestingModule({ imports: [AppModule] })
    .overrideProvider(AppConfig)
    .useValue(config)
    .compile();
  await module.init();
  const ownerPool = new pg.Pool({ connectionString: database.ownerUrl, max: 2 });
  const cls = module.get(ClsService);
  const context = module.get(RequestContext);
  const session = module.get(TenantSession);
  let sequence = 0;

  const owner = async <T extends pg.QueryResultRow>(sql: string, params: unknown[] = []) =>
    (await ownerPool.query<T>(sql, params)).rows;

  const newUser = async (options: { platformAdmin?: boolean } = {}): Promise<Caller> => {
    const userId = randomUUID();
    await owner(
      `insert into users (id, email, name, password_hash, is_platform_admin, created_at, updated_at)
       values ($1, $2, 'Medium user', 'not-a-hash', $3, now(), now())`,
      [userId, `user-${++sequence}-${userId.slice(0, 8)}@medium.test`, options.platformAdmin ?? false],
    );
    return { actor: { userId, sessionId: randomUUID(), isPlatformAdmin: options.platformAdmin ?? false }, apiKey: null };
  };

  const join = async (tenantId: string, role: 'tenant_admin' | 'tenant_user'): Promise<TenantCaller> => {
    const user = await newUser();
    await owner(`insert into memberships (id, tenant_id, user_id, role, created_at) values ($1, $2, $3, $4, now())`, [
      randomUUID(),
      tenantId,
      user.actor!.userId,
      role,
    ]);
    return { ...user, tenantId: trustedTenantId(tenantId), role };
  };

  return {
    get: <T>(type: Type<T>) => module.get(type as never, { strict: false }) as T,
    as: (caller, work) =>
      cls.run(() => {
        if (caller.actor) context.setActor(caller.actor);
        const tenantId = 'tenantId' in caller ? caller.tenantId : null;
        if (tenantId) context.setTenant({ tenantId, role: (caller as TenantCaller).role });
        return session.run({ userId: caller.actor?.userId ?? null, tenantId }, () => work());
      }),
    owner,
    newUser,
    async newTenant(name = `Tenant ${sequence + 1}`) {
      const tenantId = randomUUID();
      await owner(`insert into tenants (id, name, slug, created_at, updated_at) values ($1, $2, $3, now(), now())`, [
        tenantId,
        name,
        `medium-${tenantId.slice(0, 8)}`,
      ]);
      return join(tenantId, 'tenant_admin');
    },
    newMember: (tenant, role = 'tenant_user') => join(tenant.tenantId, role),
    async newPlan(spec = {}) {
      const planId = randomUUID();
      await owner(
        `insert into plans (id, code, name, status, current_version, created_at, updated_at)
         values ($1, $2, $2, 'active', 1, now(), now())`,
        [planId, spec.code ?? `plan-${++sequence}`],
      );
      await owner(
        `insert into plan_versions (id, plan_id, version, price_amount, currency, interval, interval_count, trial_days,
                                    duration_cycles, limits, created_at)
         values ($1, $2, 1, $3, $4, $5, $6, $7, $8, $9, now())`,
        [
          randomUUID(),
          planId,
          String(spec.priceAmount ?? 1000n),
          spec.currency ?? 'USD',
          spec.interval ?? 'month',
          spec.intervalCount ?? 1,
          spec.trialDays ?? 0,
          spec.durationCycles ?? null,
          JSON.stringify(spec.limits ?? []),
        ],
      );
      return planId;
    },
    async close() {
      await module.close();
      await ownerPool.end();
      await database.drop();
    },
  };
}
