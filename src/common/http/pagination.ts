import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { QueryInt } from './params.js';
import { IsInt, IsOptional, IsString, isUUID, Max, Min } from 'class-validator';
import { Errors } from '../errors/app-error.js';

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

/** A keyset position: the sort value and id of the last row of the previous page. */
export interface Keyset {
  at: string;
  id: string;
}

export function encodeCursor(keyset: Keyset): string {
  return Buffer.from(JSON.stringify([keyset.at, keyset.id])).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): Keyset | null {
  if (!cursor) return null;
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    if (typeof at === 'string' && typeof id === 'string' && !Number.isNaN(Date.parse(at)) && isUUID(id)) return { at, id };
  } catch {
    /* fall through */
  }
  throw Errors.validation('Invalid cursor', [{ field: 'cursor', message: 'cursor is not one this API issued' }]);
}

/**
 * The `where` condition for the page after `cursor` in (createdAt, id) order: `desc` for newest
 * first, `asc` for oldest first. Empty on the first page. Decodes (and validates) the cursor.
 */
export function afterCursor(cursor: string | undefined, order: 'asc' | 'desc') {
  const after = decodeCursor(cursor);
  if (!after) return {};
  const op = order === 'desc' ? '$lt' : '$gt';
  const at = new Date(after.at);
  return { $or: [{ createdAt: { [op]: at } }, { createdAt: at, id: { [op]: after.id } }] };
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
