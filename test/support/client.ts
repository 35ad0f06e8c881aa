import { createClient, createConfig, type Client } from '../../sdk/client/index.js';

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface CallOptions {
  token?: string;
  tenant?: string;
  idempotencyKey?: string;
  headers?: Record<string, string>;
  /** Raw body, sent as is (for malformed-input tests). */
  raw?: string;
}

/** Who calls: a signed-in user (or API key), optionally naming a tenant. */
export interface Caller {
  token: string;
  tenantId?: string;
}

/**
 * The call options of `caller` acting in `tenant` — by default the caller's own tenant (a
 * `TenantWithAdmin` is its tenant's admin); `null` names no tenant.
 */
export function as(caller: Caller, tenant?: { tenantId: string } | string | null): CallOptions {
  const tenantId =
    tenant === undefined ? caller.tenantId : tenant === null ? undefined : typeof tenant === 'string' ? tenant : tenant.tenantId;
  return { token: caller.token, tenant: tenantId };
}

/**
 * A thin HTTP client over fetch: the tests talk to the API exactly as a client would. `sdk()` is
 * the generated client (sdk/) on the same server, for typed set-up.
 */
export class ApiClient {
  constructor(readonly baseUrl: string) {}

  /** The generated SDK's client, signed in as `options.token` and naming `options.tenant`, if given. */
  sdk(options: Pick<CallOptions, 'token' | 'tenant'> = {}): Client {
    return createClient(
      createConfig({
        baseUrl: this.baseUrl,
        auth: options.token,
        headers: options.tenant ? { 'X-Tenant-Id': options.tenant } : undefined,
      }),
    );
  }

  async request<T = any>(method: string, path: string, body?: unknown, options: CallOptions = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (body !== undefined || options.raw !== undefined) headers['content-type'] ??= 'application/json';
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    if (options.tenant) headers['x-tenant-id'] = options.tenant;
    if (options.idempotencyKey) headers['idempotency-key'] = options.idempotencyKey;
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      body: options.raw ?? (body === undefined ? undefined : JSON.stringify(body)),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON */
    }
    return { status: response.status, body: parsed as T, headers: response.headers };
  }

  get<T = any>(path: string, options?: CallOptions) {
    return this.request<T>('GET', path, undefined, options);
  }

  post<T = any>(path: string, body?: unknown, options?: CallOptions) {
    return this.request<T>('POST', path, body ?? {}, options);
  }

  patch<T = any>(path: string, body?: unknown, options?: CallOptions) {
    return this.request<T>('PATCH', path, body ?? {}, options);
  }

  delete<T = any>(path: string, options?: CallOptions) {
    return this.request<T>('DELETE', path, undefined, options);
  }
}
