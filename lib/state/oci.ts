/**
 * The OCI state document (what `drun state` prints and hooks read on stdin).
 * @module
 */
import type { ContainerState, Status } from "./store.ts";

/** The OCI runtime-spec version drun implements. */
export const OCI_VERSION = "1.2.0";

/**
 * The OCI `state` document, as runc prints it.
 *
 * @example
 * ```ts
 * const st: OciState = new Runtime("/run/drun").state("web");
 * console.log(st.status, st.pid, st.bundle);
 * ```
 */
export interface OciState {
  /** OCI version. */
  ociVersion: string;
  /** Container id. */
  id: string;
  /** Host pid of the init (0 when stopped). */
  pid: number;
  /** Status. */
  status: Status;
  /** Bundle path. */
  bundle: string;
  /** Rootfs path. */
  rootfs: string;
  /** Creation time. */
  created: string;
  /** Owner name. */
  owner: string;
  /** Annotations. */
  annotations?: Record<string, string>;
}

/** The OCI view of a stored state. */
export function toOciState(st: ContainerState): OciState {
  const out: OciState = {
    ociVersion: st.ociVersion,
    id: st.id,
    pid: st.status === "stopped" ? 0 : st.pid,
    status: st.status,
    bundle: st.bundle,
    rootfs: st.rootfs,
    created: st.created,
    owner: st.owner,
  };
  if (st.annotations && Object.keys(st.annotations).length) out.annotations = st.annotations;
  return out;
}
