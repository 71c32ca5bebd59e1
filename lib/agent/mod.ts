/**
 * A seccomp user-notification agent for `linux.seccomp.listenerPath`: {@link SeccompAgent}
 * listens, receives each container's listener fd and state, and answers notified syscalls.
 *
 * ```ts
 * const agent = await SeccompAgent.listen("/run/agent.sock", {
 *   handler: (n) => n.syscall === "mkdir" ? { error: 1 } : { continue: true },
 * });
 * // ... containers run ...
 * await agent.close();
 * ```
 * @module
 */
export {
  addFd,
  type AgentEvent,
  type AgentOptions,
  type NotificationContext,
  type NotificationHandler,
  SeccompAgent,
} from "./agent.ts";
export {
  type EncodedResponse,
  encodeResponse,
  type Notification,
  type Response,
  syscallName,
} from "./notification.ts";
export {
  type ContainerProcessState,
  DEFAULT_MAX_STATE_BYTES,
  type Handshake,
  HandshakeError,
  type OciStateSnapshot,
  parseProcessState,
  readHandshake,
} from "./handshake.ts";
export { type MemoryGuard, readMemory, readString } from "./memory.ts";
export { ErrnoError } from "./ffi.ts";
export { ERRNO, errnoName } from "../linux/errno.ts";
export {
  ALLOW_ALL,
  decide,
  type Decision,
  needsPaths,
  type Policy,
  type PolicyAction,
  type PolicyRule,
} from "./policy.ts";
export {
  isKnownSyscall,
  parseErrno,
  parsePolicy,
  parsePolicyText,
  PolicyError,
} from "./policy_parse.ts";
export { AT_FDCWD, normalizePath, type PathArg, pathArgs } from "./paths.ts";
export { globToRegExp, matchGlob } from "./glob.ts";
export {
  type AgentLine,
  type AgentOutputFormat,
  formatLine,
  notifiedPaths,
  runSeccompAgent,
  type SeccompAgentCommandOptions,
} from "./runner.ts";
