/**
 * `start`: release a created init through its exec fifo, then run the poststart hooks.
 * @module
 */
import type { Spec } from "../spec/types.ts";
import { DrunError } from "../errors.ts";
import { loadNative, releaseFifo } from "../native/ffi.ts";
import { fifoPath, procStartTime, readState, withLock } from "../state/store.ts";
import { toOciState } from "../state/oci.ts";
import { mark } from "../timing.ts";
import { type HookOutput, runHooks } from "../hooks.ts";
import type { Warn } from "./options.ts";

/**
 * What start needs of its Runtime.
 *
 * @example
 * ```ts ignore
 * const host: StartHost = new Runtime("/run/drun");
 * ```
 */
export interface StartHost {
  /** The state root. */
  readonly root: string;
  /** Where warnings go (a failing poststart hook). */
  warn: Warn;
  /** Where hook output goes. */
  hookOutput: HookOutput;
  /** The validated spec a container was created with. */
  containerSpec(id: string): Spec;
}

/**
 * Releases container `id`'s process, which waits on its exec fifo since `create`.
 *
 * @example
 * ```ts ignore
 * await startContainer(new Runtime("/run/drun"), "web");
 * ```
 */
export async function startContainer(rt: StartHost, id: string): Promise<void> {
  await loadNative();
  mark("start");
  await withLock(rt.root, id, async () => {
    const st = readState(rt.root, id);
    if (st.status !== "created") {
      throw new DrunError("EBADSTATE", `cannot start a container that is ${st.status}`);
    }
    const fifo = fifoPath(rt.root, id);
    // Poll in slices so an init that dies meanwhile does not leave us waiting forever.
    while (!(await releaseFifo(fifo, 200))) {
      if (procStartTime(st.pid) !== st.startTime) {
        throw new DrunError("EBADSTATE", `container ${id} init exited before start`);
      }
    }
    await Deno.remove(fifo).catch(() => {});
    const spec = rt.containerSpec(id);
    if (spec.hooks?.poststart?.length) {
      // The spec: a failing poststart hook is only a warning.
      const running = {
        ...toOciState({ ...st, status: "running" }),
        annotations: spec.annotations ?? {},
      };
      await runHooks(
        "poststart",
        spec.hooks.poststart,
        running,
        rt.hookOutput,
        (e) => rt.warn(e.message),
      );
    }
  });
  mark("started");
}
