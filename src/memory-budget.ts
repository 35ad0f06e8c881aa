/**
 * The API process's memory budget (issue 10). When memory is plentiful V8 grows its heap lazily:
 * under `npm run bench` the API's RSS rose from ~220 MB to ~500 MB while its live heap, measured
 * from heap snapshots after a full GC, stayed at 66 → 79 MB — headroom, not a leak. Capping old
 * space and the young generation holds RSS near 300 MB. NODE_OPTIONS setting either wins.
 */
export const API_NODE_FLAGS = ['--max-old-space-size=256', '--max-semi-space-size=16'] as const;

/** The flags for a spawned API process: the budget, unless the operator set the same V8 option. */
export function apiNodeFlags(nodeOptions: string): string[] {
  return API_NODE_FLAGS.filter((flag) => !nodeOptions.includes(flag.split('=')[0]));
}
