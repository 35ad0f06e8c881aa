// The generated fetch client (sdk/client) names the DOM's `BodyInit`, which @types/node keeps
// inside undici-types rather than declaring globally; the repo compiles without `lib: ["dom"]`.
// This gives the same type under the same global name so `npm run typecheck` covers sdk/.
type BodyInit = NonNullable<RequestInit['body']>;
