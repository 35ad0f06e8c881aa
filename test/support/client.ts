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

/** A thin HTTP client over fetch: the tests talk to the API exactly as a client would. */
export class ApiClient {
  constructor(readonly baseUrl: string) {}

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
