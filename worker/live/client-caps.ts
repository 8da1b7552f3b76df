/** Who a viewer request comes from: its address and the credential it presented. */
export interface ViewerClient {
  address: string;
  credential: string;
}

export type ClientTransport = "stream" | "poll";

/**
 * Caps on the SSE streams and long polls one object holds open per credential and per address, so one client
 * cannot tie up the object's memory and thread (sockets are capped by the upgrade limiter and message budgets).
 * A ticket is its dashboard's own credential; many dashboards behind one NAT share an address, hence its larger cap.
 */
export class ClientCaps {
  private readonly perCredential: number;
  private readonly perAddress: number;
  private readonly open = new Map<string, number>();

  constructor(perCredential: number, perAddress: number) {
    this.perCredential = perCredential;
    this.perAddress = perAddress;
  }

  /** Whether the client holds as many as one of its caps allows (`admit` would refuse it). */
  atCap(client: ViewerClient, transport: ClientTransport): boolean {
    const keys = this.keys(client, transport);
    const caps = [this.perCredential, this.perAddress];
    return keys.some((key, i) => (this.open.get(key) ?? 0) >= caps[i]!);
  }

  /** Takes a slot, or null when the client is at a cap; the function returned gives it back (once). */
  admit(client: ViewerClient, transport: ClientTransport): (() => void) | null {
    if (this.atCap(client, transport)) return null;
    const keys = this.keys(client, transport);
    for (const key of keys) this.open.set(key, (this.open.get(key) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const key of keys) {
        const left = this.open.get(key)! - 1;
        if (left === 0) this.open.delete(key);
        else this.open.set(key, left);
      }
    };
  }

  private keys(client: ViewerClient, transport: ClientTransport): [string, string] {
    return [`${transport} credential ${client.credential}`, `${transport} address ${client.address}`];
  }
}

/** Streams and polls one credential may hold open on one object, and one address. */
export const STREAMS_PER_CREDENTIAL = 4;
export const STREAMS_PER_ADDRESS = 256;
