/**
 * The prctl(2) options the plan asks the init for (<linux/prctl.h>).
 *
 * @example
 * ```ts
 * import { PR_SET_NO_NEW_PRIVS } from "./prctl.ts";
 * console.log(PR_SET_NO_NEW_PRIVS); // 38
 * ```
 * @module
 */

/** Signal the process gets when its parent dies. */
export const PR_SET_PDEATHSIG = 1;
/** Whether /proc/<pid> is owned by the process and it can be ptrace-attached. */
export const PR_SET_DUMPABLE = 4;
/** Keep the permitted capabilities across a change of uid away from 0. */
export const PR_SET_KEEPCAPS = 8;
/** No execve may grant privileges again (setuid bits, file capabilities). */
export const PR_SET_NO_NEW_PRIVS = 38;
