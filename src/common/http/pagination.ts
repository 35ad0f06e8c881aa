import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, isUUID, Max, Min } from 'class-validator';
import type { EntityName } from '@mikro-orm/core';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Errors } from '../errors/app-error.js';
import { QueryInt } from './params.js';

export class PageQuery {
  /** Page size, 1–100. */
  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 20, description: 'Page size, 1–100.' })
  @IsOptional()
  @QueryInt()
  @IsInt()
  @Min(1)
  @Max(100)
  limit: number = 20;

  /** Opaque cursor from the previous page's `nextCursor`. */
  @ApiPropertyOptional({ type: String, description: "Opaque cursor from the previous page's `nextCursor`." })
  @IsOptional()
  @IsString()
  cursor?: string;
}

export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/**
 * A keyset position: the creation time and id of the last row of the previous page. `at` is exact
 * to the microsecond, as PostgreSQL keeps it (ISO-8601, UTC, six fractional digits): a JS Date
 * stops at the millisecond, and a cursor rounded to it repeats or skips rows created within one.
 */
export interface Keyset {
  at: string;
  id: string;
}

/** SQL for a timestamptz column in the exact form of `Keyset.at`. */
export const exactTimestampSql = (column: string) => `to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

const EXACT_AT = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.\d{6}Z$/;

/** Whether `at` is a real instant in the exact form, within what PostgreSQL and the API handle. */
function validAt(at: string): boolean {
  const parts = EXACT_AT.exec(at);
  if (!parts) return false;
  const [year, month, day, hour, minute, second] = parts.slice(1).map(Number);
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  return year >= 1 && days !== undefined && day >= 1 && day <= days && hour < 24 && minute < 60 && second < 60;
}

export function encodeCursor(keyset: Keyset): string {
  return Buffer.from(JSON.stringify([keyset.at, keyset.id])).toString('base64url');
}

/** The keyset of a cursor this API issued; anything else (tampered, truncated, out of range) is a 400. */
export function decodeCursor(cursor: string | undefined): Keyset | null {
  if (!cursor) return null;
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof at === 'string' && typeof id === 'string' && validAt(at) && isUUID(id)) return { at, id };
  } catch {
    /* fall through */
  }
  throw Errors.validation('Invalid cursor', [{ field: 'cursor', message: 'cursor is not one this API issued' }]);
}

/**
 * The `where` condition for the page after `cursor` in (createdAt, id) order: `desc` for newest
 * first, `asc` for oldest first. Empty on the first page. Decodes (and validates) the cursor; the
 * exact timestamp goes to PostgreSQL as text, so no precision is lost on the way.
 */
export function afterCursor(cursor: string | undefined, order: 'asc' | 'desc') {
  const after = decodeCursor(cursor);
  if (!after) return {};
  const op = order === 'desc' ? '$lt' : '$gt';
  return { $or: [{ createdAt: { [op]: after.at } }, { createdAt: after.at, id: { [op]: after.id } }] };
}

/**
 * Builds a page from `limit + 1` rows fetched in keyset order: the extra row only says whether
 * another page exists.
 */
export function toPage<R, T>(rows: R[], limit: number, keyset: (row: R) => Keyset, map: (row: R) => T): Page<T> {
  const more = rows.length > limit;
  const pageRows = more ? rows.slice(0, limit) : rows;
  return {
    data: pageRows.map(map),
    nextCursor: more ? encodeCursor(keyset(pageRows[pageRows.length - 1])) : null,
  };
}

/**
 * `toPage` for entities fetched in (createdAt, id) order: the next cursor carries the last row's
 * `createdAt` as PostgreSQL stores it, read back by id, since the entity's Date lost the microseconds.
 */
export async function entityPage<R extends { id: string; createdAt: Date }, T>(
  em: EntityManager,
  entity: EntityName<R>,
  rows: R[],
  limit: number,
  map: (row: R) => T,
): Promise<Page<T>> {
  if (rows.length <= limit) return { data: rows.map(map), nextCursor: null };
  const last = rows[limit - 1];
  const meta = em.getMetadata().get(entity);
  const createdAt = meta.props.find((prop) => prop.name === 'createdAt')!;
  const [row] = await em.execute<{ at: string }[]>(
    `select ${exactTimestampSql(createdAt.fieldNames[0])} as at from ${meta.tableName} where id = ?`,
    [last.id],
  );
  return toPage(rows, limit, () => ({ at: row.at, id: last.id }), map);
}

/** Swagger helper: documents `{ data: T[], nextCursor }` for a list route. */
export function PageOf<T>(item: new () => T) {
  class PageDto {
    @ApiProperty({ type: [item] })
    data!: T[];

    @ApiProperty({ type: String, nullable: true, description: 'Cursor of the next page; null on the last page.' })
    nextCursor!: string | null;
  }
  Object.defineProperty(PageDto, 'name', { value: `${item.name.replace(/Dto$/, '')}Page` });
  return PageDto;
}
