/**
 * Records a platform admin acting inside a tenant they are not a member of (`platform.tenant.access`),
 * on the platform path: the request's role cannot write `platform.*` entries. The unit of work
 * asks for it; the audit module implements it (common imports no module: bound in src/ports.module.ts).
 */
export abstract class TenantAccessAudit {
  abstract recordTenantAccess(tenantId: string, after: object): Promise<void>;
}
