import type { Caller } from '../../common/auth/caller.js';
import type { Actor } from '../../common/context/request-context.js';
import { Errors } from '../../common/errors/app-error.js';

/** The person behind a caller; 401 when it is an API key or the worker (routes that act for a person). */
export function signedIn(caller: Caller): Actor {
  if (!caller.actor) throw Errors.unauthenticated();
  return caller.actor;
}
