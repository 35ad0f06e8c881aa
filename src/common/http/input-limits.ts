import type { FastifyReply, FastifyRequest } from 'fastify';
import { Errors, FieldError } from '../errors/app-error.js';
import { toProblem } from '../errors/problem-details.filter.js';

/**
 * Bounds on what a request may carry, checked on the parsed body and query before any validation,
 * transformation or hashing: class-transformer, class-validator and the idempotency hash all walk
 * the input recursively, so an unbounded one blocks the event loop or overflows the stack.
 */
export const INPUT_LIMITS = {
  /** Object keys plus array elements, over the whole input. */
  maxFields: 1000,
  /** Nesting of objects and arrays; the root is depth 1. */
  maxDepth: 32,
  /** Field errors reported in one answer. */
  maxErrors: 20,
} as const;

/** In `u` mode a surrogate pair is one code point, so only a lone surrogate matches. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * PostgreSQL text cannot hold a NUL byte, and a lone UTF-16 surrogate has no UTF-8 form: both fail
 * deep in the database (or the audit log's JSON), so they are refused at the door.
 */
function unstorable(text: string): string | null {
  if (text.includes('\u0000')) return 'contains a NUL character';
  if (LONE_SURROGATE.test(text)) return 'contains an unpaired UTF-16 surrogate';
  return null;
}

/**
 * Whether a JSON text nests deeper than `max`, counted on the raw text without parsing it: parsing
 * a 1 MB text of nested brackets is itself slow (and recursive), so concurrent ones stall the
 * event loop before any check on the parsed value could refuse them. Brackets inside strings do not count.
 */
export function jsonNestsDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/**
 * What the JSON parser hands on in place of a text too deep to parse: just deep enough for
 * `inputProblems` to refuse it, so the one refusal path (the preValidation hook) answers it on
 * every route, Bull Board's included.
 */
export function tooDeepStandIn(): unknown {
  let value: unknown = [];
  for (let i = 0; i < INPUT_LIMITS.maxDepth; i++) value = [value];
  return value;
}

/** A field name safe to print back: the characters it was refused for are replaced. */
function printable(name: string): string {
  return name.replaceAll('\u0000', '\ufffd').replace(/\p{Cs}/gu, '\ufffd');
}

/**
 * Field errors of an input that breaks the bounds or holds unstorable strings (keys included), at
 * most `maxErrors`; empty when it is fine. Iterative, and it stops at the first bound crossed, so
 * it costs at most `maxFields` steps whatever was sent. Fields are named like the validation
 * errors (`items.0.name`); the input itself is `root`.
 */
export function inputProblems(input: unknown, root: 'path' | 'query' | 'body'): FieldError[] {
  const errors: FieldError[] = [];
  const stack: { value: unknown; path: string; depth: number }[] = [{ value: input, path: '', depth: 0 }];
  let fields = 0;
  while (stack.length && errors.length < INPUT_LIMITS.maxErrors) {
    const { value, path, depth } = stack.pop()!;
    const name = path || root;
    if (typeof value === 'string') {
      const reason = unstorable(value);
      if (reason) errors.push({ field: name, message: `${name} ${reason}` });
      continue;
    }
    if (!value || typeof value !== 'object') continue;
    if (depth + 1 > INPUT_LIMITS.maxDepth) {
      return [...errors, { field: name, message: `${name} is nested deeper than ${INPUT_LIMITS.maxDepth} levels` }];
    }
    fields += Array.isArray(value) ? value.length : Object.keys(value).length;
    if (fields > INPUT_LIMITS.maxFields) {
      return [{ field: root, message: `the ${root} has more than ${INPUT_LIMITS.maxFields} fields` }];
    }
    const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
    for (let i = entries.length - 1; i >= 0; i--) {
      const [key, child] = entries[i];
      const childPath = path ? `${path}.${printable(key)}` : printable(key);
      const reason = unstorable(key);
      if (reason) errors.push({ field: childPath, message: `the name of ${childPath} ${reason}` });
      stack.push({ value: child, path: childPath, depth: depth + 1 });
    }
  }
  return errors.slice(0, INPUT_LIMITS.maxErrors);
}

/**
 * Refuses, before any validation, transformation or hashing, a path, query or body that is too
 * wide or too deep or holds strings PostgreSQL cannot store (see input-limits.ts), answering the
 * problem itself, so routes outside Nest (Bull Board, with its own error handler) get it too.
 * Headers need no such check: Node's parser refuses a NUL in them, and they are Latin-1.
 */
export async function refuseHostileInput(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
  const errors = [
    ...inputProblems(request.params, 'path'),
    ...inputProblems(request.query, 'query'),
    ...inputProblems(request.body, 'body'),
  ].slice(0, INPUT_LIMITS.maxErrors);
  if (!errors.length) return undefined;
  const { problem } = toProblem(Errors.validation(errors.map((f) => f.message).join('; '), errors), String(request.id));
  return reply.status(problem.status).type('application/problem+json').send(problem);
}
