import { SetMetadata } from '@nestjs/common';

export const SINGLE_STATEMENT_KEY = 'eshtarek:single-statement';

/**
 * Marks a hot-path route whose handler does all of its database work in one self-contained
 * statement (a function that enters the tenant with `set_config(…, true)`, re-checks an API key
 * and does the work, in the statement's own transaction). The unit of work then opens no
 * transaction around it, and Idempotency-Key is the handler's to honour (e.g. with a unique key on
 * what it writes). A platform admin crossing into a tenant still goes through the unit of work, so
 * the crossing is audited.
 */
export const SingleStatement = () => SetMetadata(SINGLE_STATEMENT_KEY, true);
