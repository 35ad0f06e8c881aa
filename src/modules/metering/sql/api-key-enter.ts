import { sqlFunction } from './sql-function.js';

/**
 * Enters the tenant of a request authenticated by an API key and re-checks the key there: 'ok',
 * 'revoked' (or unknown) or 'suspended'. last_used_at is written when the caller asks (at most
 * once a minute per process) and only if a minute has passed, never waiting on a lock.
 */
export const apiKeyEnter = sqlFunction({
  name: 'api_key_enter',
  parameters: ['p_tenant uuid', 'p_key uuid', 'p_touch boolean', 'p_now timestamptz'],
  returns: 'text',
  language: 'plpgsql',
  executeBy: ['eshtarek_api'],
  body: `
declare
  v_status text;
begin
  perform set_config('app.tenant_id', p_tenant::text, true);
  select case when k.revoked_at is not null then 'revoked' when t.status = 'suspended' then 'suspended' else 'ok' end
    into v_status
    from api_keys k join tenants t on t.id = k.tenant_id
   where k.tenant_id = p_tenant and k.id = p_key;
  if v_status is null then
    return 'revoked';
  end if;
  if v_status = 'ok' and p_touch then
    update api_keys k set last_used_at = p_now
     where k.id = (select k2.id from api_keys k2
                    where k2.tenant_id = p_tenant and k2.id = p_key
                      and (k2.last_used_at is null or k2.last_used_at < p_now - interval '1 minute')
                      for update skip locked);
  end if;
  return v_status;
end
`,
});
