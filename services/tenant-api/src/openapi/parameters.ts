import type { ApiParamOptions } from '@nestjs/swagger';

/** The `{id}` of /v1/tenants/{id}/... routes. */
export const TENANT_ID_PARAM: ApiParamOptions = {
  name: 'id',
  description: 'Tenant id.',
  schema: { type: 'string', format: 'uuid' },
};
