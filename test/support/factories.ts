import { randomBytes } from 'node:crypto';
import type { ApiClient } from './client.js';

export const PASSWORD = 'correct-horse-battery';

export interface SignedIn {
  userId: string;
  email: string;
  token: string;
  refreshToken: string;
}

export interface TenantWithAdmin extends SignedIn {
  tenantId: string;
}

export const uniqueEmail = (prefix = 'user') => `${prefix}-${randomBytes(5).toString('hex')}@example.test`;

export async function registerUser(api: ApiClient, prefix = 'user'): Promise<SignedIn> {
  const email = uniqueEmail(prefix);
  const res = await api.post('/v1/auth/register', { email, password: PASSWORD, name: `${prefix} person` });
  if (res.status !== 201) throw new Error(`register failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { userId: res.body.user.id, email, token: res.body.accessToken, refreshToken: res.body.refreshToken };
}

/** A new user who creates a new tenant and is its tenant_admin. */
export async function createTenantWithAdmin(api: ApiClient, name = 'Tenant'): Promise<TenantWithAdmin> {
  const admin = await registerUser(api, 'admin');
  const res = await api.post('/v1/tenants', { name }, { token: admin.token });
  if (res.status !== 201) throw new Error(`create tenant failed: ${res.status} ${JSON.stringify(res.body)}`);
  return { ...admin, tenantId: res.body.id };
}

/** Registers a user and adds them to the tenant with the role. */
export async function addMember(
  api: ApiClient,
  tenant: TenantWithAdmin,
  role: 'tenant_admin' | 'tenant_user' = 'tenant_user',
): Promise<SignedIn> {
  const user = await registerUser(api, role);
  const res = await api.post('/v1/members', { email: user.email, role }, { token: tenant.token, tenant: tenant.tenantId });
  if (res.status !== 201) throw new Error(`add member failed: ${res.status} ${JSON.stringify(res.body)}`);
  return user;
}

export async function signInAsPlatformAdmin(api: ApiClient, email: string, password: string): Promise<string> {
  const res = await api.post('/v1/auth/login', { email, password });
  if (res.status !== 200) throw new Error(`admin login failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.accessToken;
}
