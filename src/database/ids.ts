import { v7 } from 'uuid';

/** Time-ordered UUIDv7: keeps B-tree inserts local as tables grow. */
export const newId = (): string => v7();
