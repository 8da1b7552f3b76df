/**
 * How many control messages a viewer's socket may send: a token bucket per socket, refilled at `perSecond` up to
 * `burst`. A subscription change costs more than an ack (it sends a snapshot back). A socket out of budget is
 * closed with 1008: a client that floods is broken or hostile either way.
 */
export class MessageBudget {
  private readonly perSecond: number;
  private readonly burst: number;
  private readonly buckets = new WeakMap<WebSocket, { tokens: number; at: number }>();

  constructor(perSecond: number, burst: number) {
    this.perSecond = perSecond;
    this.burst = burst;
  }

  /** Takes `cost` from the socket's bucket; false when it has not enough. */
  take(socket: WebSocket, cost: number, now = Date.now()): boolean {
    const bucket = this.buckets.get(socket) ?? { tokens: this.burst, at: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond);
    bucket.at = now;
    this.buckets.set(socket, bucket);
    if (bucket.tokens < cost) return false;
    bucket.tokens -= cost;
    return true;
  }
}

/** 20 message units a second, bursts of 40: acks cost 1, subscription changes 10 (2 a second, bursts of 4). */
export const VIEWER_MESSAGES_PER_SECOND = 20;
export const VIEWER_MESSAGE_BURST = 40;
export const SUBSCRIPTION_COST = 10;
export const CLOSE_POLICY_VIOLATION = 1008;
