/**
 * Task events back to containerd, as containerd-shim-runc-v2 sends them: an Envelope
 * (timestamp, namespace, topic, the event as an Any) forwarded over ttrpc to the address in
 * TTRPC_ADDRESS, in order, retried a few times when containerd is away.
 * @module
 */
import { encode, type Message } from "./protobuf.ts";
import { Events, ForwardRequest, timestamp } from "./messages.ts";
import { TtrpcClient } from "./ttrpc.ts";

const SERVICE = "containerd.services.events.ttrpc.v1.Events";
const RETRIES = 5;

/** Topic of each event type the shim publishes. */
export const TOPICS: Record<string, string> = {
  "containerd.events.TaskCreate": "/tasks/create",
  "containerd.events.TaskStart": "/tasks/start",
  "containerd.events.TaskDelete": "/tasks/delete",
  "containerd.events.TaskExit": "/tasks/exit",
  "containerd.events.TaskOOM": "/tasks/oom",
  "containerd.events.TaskExecAdded": "/tasks/exec-added",
  "containerd.events.TaskExecStarted": "/tasks/exec-started",
  "containerd.events.TaskPaused": "/tasks/paused",
  "containerd.events.TaskResumed": "/tasks/resumed",
};

/** Sends events to containerd, one at a time and in the order published. */
export class Publisher {
  #client?: TtrpcClient;
  #tail: Promise<void> = Promise.resolve();

  /**
   * A publisher to containerd at `address` for `namespace`.
   *
   * @example
   * ```ts ignore
   * import { Publisher } from "./events.ts";
   * const p = new Publisher("/run/containerd/containerd.sock.ttrpc", "default");
   * await p.publish("containerd.events.TaskStart", { containerId: "c1", pid: 42 });
   * ```
   */
  constructor(address: string, namespace: string) {
    this.address = address;
    this.namespace = namespace;
  }

  /** containerd's ttrpc address ("" publishes nothing). */
  readonly address: string;
  /** The containerd namespace events belong to. */
  readonly namespace: string;

  /** Queues an event; resolves when containerd took it (or it was given up on). */
  publish(type: string, event: Message): Promise<void> {
    const body = encode(ForwardRequest, {
      envelope: {
        timestamp: timestamp(Date.now()),
        namespace: this.namespace,
        topic: TOPICS[type],
        event: { typeUrl: type, value: encode(Events[type], event) },
      },
    });
    const send = () => this.#send(body);
    this.#tail = this.#tail.then(send, send);
    return this.#tail;
  }

  async #send(body: Uint8Array): Promise<void> {
    if (!this.address) return;
    for (let attempt = 0; attempt <= RETRIES; attempt++) {
      try {
        this.#client ??= await TtrpcClient.connect(this.address);
        await this.#client.call(SERVICE, "Forward", body);
        return;
      } catch (e) {
        this.#client?.close();
        this.#client = undefined;
        if (attempt === RETRIES) {
          console.error(`publish event: ${(e as Error).message}`);
          return;
        }
        await new Promise((r) => setTimeout(r, 100 * (attempt + 1)));
      }
    }
  }

  /** Waits for queued events and closes the connection. */
  async close(): Promise<void> {
    await this.#tail;
    this.#client?.close();
  }
}
