import type { ApiClient } from '../support/client.js';

/** The parts of an OpenAPI schema the hardening tests read. */
export interface Schema {
  $ref?: string;
  type?: string;
  format?: string;
  enum?: unknown[];
  nullable?: boolean;
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  allOf?: Schema[];
}

export interface Operation {
  method: string;
  /** OpenAPI template, e.g. `/v1/plans/{id}`. */
  path: string;
  operationId: string;
  pathParams: string[];
  query: { name: string; schema: Schema }[];
  /** The JSON body's schema, resolved; undefined when the operation takes none. */
  body?: Schema;
}

/** Every operation of the running app's own OpenAPI document, schemas resolved. */
export async function listOperations(api: ApiClient): Promise<Operation[]> {
  const doc = (await api.get('/docs-json')).body;
  const resolve = (schema: Schema | undefined): Schema | undefined => {
    if (!schema) return undefined;
    if (schema.$ref) return resolve(doc.components.schemas[schema.$ref.split('/').pop()!]);
    if (schema.allOf?.length === 1) return resolve(schema.allOf[0]);
    return schema;
  };
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries<Record<string, any>>(doc.paths)) {
    for (const [method, op] of Object.entries<any>(item)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const parameters: { name: string; in: string; schema: Schema }[] = op.parameters ?? [];
      operations.push({
        method: method.toUpperCase(),
        path,
        operationId: op.operationId,
        pathParams: parameters.filter((p) => p.in === 'path').map((p) => p.name),
        query: parameters.filter((p) => p.in === 'query').map((p) => ({ name: p.name, schema: resolve(p.schema)! })),
        body: resolve(op.requestBody?.content?.['application/json']?.schema),
      });
    }
  }
  return operations;
}
