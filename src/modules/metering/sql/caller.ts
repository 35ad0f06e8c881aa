/** One caller of a metering function: the tenant, and the API key to re-check (with whether to record its use). */
export interface Caller {
  tenantId: string;
  apiKeyId: string | null;
  touch: boolean;
}

/** The caller's parameters, first in every metering function, then the time of the call. */
export const CALLER_FIELDS = {
  tenantId: ['p_tenant', 'uuid'],
  apiKeyId: ['p_api_key', 'uuid'],
  touch: ['p_touch', 'boolean'],
  now: ['p_real_now', 'timestamptz'],
} as const;

/**
 * The start of a metering function with an `outcome` output: enter the tenant, and with an API
 * key re-check it there (api_key_enter); a revoked key or a suspended tenant is the answer.
 */
export const ENTER = `
  if p_api_key is null then
    perform set_config('app.tenant_id', p_tenant::text, true);
  else
    outcome := api_key_enter(p_tenant, p_api_key, p_touch, p_real_now);
    if outcome <> 'ok' then return; end if;
  end if;`;
