import type { ProblemType } from './problem-types.js';

export class ProblemTypeDto implements ProblemType {
  /** @example "validation_failed" */
  code!: string;
  /** The HTTP status it is answered with. @example 400 */
  status!: number;
  /** @example "Validation failed" */
  title!: string;
  /** What it means and what the caller can do. */
  meaning!: string;
}

export class ProblemTypeListDto {
  data!: ProblemTypeDto[];
}
