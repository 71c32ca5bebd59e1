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
export {
  ALLOW_ALL,
  AT_FDCWD,
  decide,
  type Decision,
  ERRNO,
  errnoName,
  globToRegExp,
  isKnownSyscall,
  matchGlob,
  needsPaths,
  normalizePath,
  parseErrno,
  parsePolicy,
  parsePolicyText,
  type PathArg,
  pathArgs,
  type Policy,
  type PolicyAction,
  PolicyError,
  type PolicyRule,
} from "./policy.ts";
export {
  type AgentLine,
  type AgentOutputFormat,
  formatLine,
  notifiedPaths,
  runSeccompAgent,
  type SeccompAgentCommandOptions,
} from "./runner.ts";
