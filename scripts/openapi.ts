/**
 * Writes `openapi.json` at the repository root from the compiled app (run through `npm run openapi`,
 * which builds first so the Swagger CLI plugin has described the DTOs).
 *
 * Preview mode resolves the module graph without instantiating providers: no server is started and
 * neither PostgreSQL nor Redis is contacted. The output is deterministic (sorted paths and
 * components, canonical key order, 2-space JSON, trailing newline), so a re-run on unchanged code
 * gives a byte-identical file.
 */
import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { OpenAPIObject } from '@nestjs/swagger';
import { AppModule } from '../src/app.module.js';
import { buildOpenApi } from '../src/bootstrap.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const TOP_LEVEL = ['openapi', 'info', 'servers', 'tags', 'security', 'paths', 'components', 'externalDocs'];
const METHODS = ['get', 'put', 'post', 'patch', 'delete', 'options', 'head', 'trace'];

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** A copy of `object` with its keys in `order` first (as listed), then the rest sorted or kept. */
function reorder<T extends Json>(object: Record<string, T>, order: string[] = [], sortRest = true): Record<string, T> {
  const keys = Object.keys(object);
  const first = order.filter((k) => k in object);
  const rest = keys.filter((k) => !order.includes(k));
  if (sortRest) rest.sort(byName);
  return Object.fromEntries([...first, ...rest].map((k) => [k, object[k]]));
}

function mapValues<T, U>(object: Record<string, T>, fn: (value: T, key: string) => U): Record<string, U> {
  return Object.fromEntries(Object.entries(object).map(([k, v]) => [k, fn(v, k)]));
}

/**
 * Canonical form of the document. Schema property order is left as declared in the source (it is
 * already stable and reads better than alphabetical); everything keyed by name or status is sorted.
 */
export function canonicalize(document: OpenAPIObject): Json {
  const doc = JSON.parse(JSON.stringify(document)) as Record<string, Json>;
  const paths = (doc.paths ?? {}) as Record<string, Record<string, Json>>;
  doc.paths = reorder(
    mapValues(paths, (item) =>
      reorder(
        mapValues(item, (operation, method) => {
          if (!METHODS.includes(method) || typeof operation !== 'object' || operation === null || Array.isArray(operation)) {
            return operation;
          }
          const op = { ...operation } as Record<string, Json>;
          if (op.responses && typeof op.responses === 'object') op.responses = reorder(op.responses as Record<string, Json>);
          if (Array.isArray(op.tags)) op.tags = [...(op.tags as string[])].sort(byName);
          return reorder(op, [
            'operationId',
            'summary',
            'description',
            'tags',
            'security',
            'parameters',
            'requestBody',
            'responses',
          ]);
        }),
        [...METHODS],
        true,
      ),
    ),
  );
  if (doc.components && typeof doc.components === 'object') {
    doc.components = reorder(
      mapValues(doc.components as Record<string, Json>, (section) =>
        section && typeof section === 'object' && !Array.isArray(section) ? reorder(section as Record<string, Json>) : section,
      ),
    );
  }
  if (Array.isArray(doc.tags)) {
    doc.tags = [...(doc.tags as Array<{ name: string }>)].sort((a, b) => byName(a.name, b.name)) as unknown as Json;
  }
  return reorder(doc, TOP_LEVEL);
}

async function main(): Promise<void> {
  const app = await NestFactory.create<NestFastifyApplication>(AppModule, new FastifyAdapter(), {
    preview: true,
    logger: false,
    abortOnError: false,
  });
  const document = buildOpenApi(app);
  const target = fileURLToPath(new URL('../../openapi.json', import.meta.url));
  writeFileSync(target, `${JSON.stringify(canonicalize(document), null, 2)}\n`);
  console.log(`wrote ${target}: ${Object.keys(document.paths).length} paths`);
}

main().then(
  // Preview mode leaves nothing to shut down; exit so no stray handle keeps the process alive.
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
