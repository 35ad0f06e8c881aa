import { readFileSync } from 'node:fs';
import { join } from 'node:path';

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

/**
 * Every operation of the committed OpenAPI document, schemas resolved. The file, not the test app's
 * /docs-json: the Swagger CLI plugin that documents undecorated DTO fields runs at `nest build`,
 * not under jest; `npm run check:generated` keeps the file current.
 */
export function listOperations(): Operation[] {
  const doc = JSON.parse(readFileSync(join(process.cwd(), 'openapi.json'), 'utf8'));
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
