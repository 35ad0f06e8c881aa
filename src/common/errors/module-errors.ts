import { AppError, type FieldError } from './app-error.js';

/** What one module error code answers: the public problem `code` (problem-types.ts), its status, title and default detail. */
export interface ErrorEntry {
  status: number;
  code: string;
  title: string;
  detail: string;
}

export interface ErrorOptions {
  /** Replaces the entry's detail with one naming the case (values, limits). */
  detail?: string;
  errors?: FieldError[];
  headers?: Record<string, string>;
  extensions?: Record<string, unknown>;
}

/**
 * A module's errors, Twenty's way: the module declares its codes as one enum and maps each to its
 * answer once (`x.errors.ts`); code throws `XErrors.of(XErrorCode.Y)`. The problem-details filter
 * is the one place that turns the resulting AppError into an HTTP answer.
 */
export function moduleErrors<Code extends string>(table: Record<Code, ErrorEntry>) {
  return {
    of(code: Code, options: ErrorOptions = {}): AppError {
      const entry = table[code];
      return new AppError(
        entry.status,
        entry.code,
        entry.title,
        options.detail ?? entry.detail,
        options.errors,
        options.headers,
        options.extensions,
      );
    },
  };
}
