/**
 * Cloudflare's published prices (Workers Paid, late 2026), each with the monthly amount it includes:
 * https://developers.cloudflare.com/workers/platform/pricing/ (Worker requests and CPU) and
 * https://developers.cloudflare.com/durable-objects/platform/pricing/ (Durable Object requests, duration and
 * SQLite storage). The $5 monthly plan fee is left out.
 */
export const PRICES = {
  workerRequests: { included: 10e6, per: 1e6, usd: 0.3 },
  workerCpuMs: { included: 30e6, per: 1e6, usd: 0.02 },
  objectRequests: { included: 1e6, per: 1e6, usd: 0.15 },
  objectGbSeconds: { included: 400_000, per: 1e6, usd: 12.5 },
  rowsRead: { included: 25e9, per: 1e6, usd: 0.001 },
  rowsWritten: { included: 50e6, per: 1e6, usd: 1.0 },
  storedGb: { included: 5, per: 1, usd: 0.2 },
} as const;

export type BillItem = keyof typeof PRICES;
export const SECONDS_PER_MONTH = 30 * 86_400;
/** Duration is billed for the 128 MB an object is given. */
const OBJECT_GB = 0.128;

/** A workload per second (storage: GB held). */
export interface Usage {
  workerRequests: number;
  workerCpuMs: number;
  objectRequests: number;
  /** Seconds an object is billed for duration (active), per second. */
  objectActiveSeconds: number;
  rowsRead: number;
  rowsWritten: number;
  storedGb: number;
}

/** Monthly quantity and price of each item, for one account running only this workload. */
export function monthlyBill(usage: Usage): Record<BillItem, { quantity: number; usd: number }> {
  const quantities: Record<BillItem, number> = {
    workerRequests: usage.workerRequests * SECONDS_PER_MONTH,
    workerCpuMs: usage.workerCpuMs * SECONDS_PER_MONTH,
    objectRequests: usage.objectRequests * SECONDS_PER_MONTH,
    objectGbSeconds: usage.objectActiveSeconds * OBJECT_GB * SECONDS_PER_MONTH,
    rowsRead: usage.rowsRead * SECONDS_PER_MONTH,
    rowsWritten: usage.rowsWritten * SECONDS_PER_MONTH,
    storedGb: usage.storedGb,
  };
  const bill = {} as Record<BillItem, { quantity: number; usd: number }>;
  for (const item of Object.keys(PRICES) as BillItem[]) {
    const { included, per, usd } = PRICES[item];
    bill[item] = { quantity: quantities[item], usd: (Math.max(0, quantities[item] - included) / per) * usd };
  }
  return bill;
}

export function totalUsd(bill: Record<BillItem, { usd: number }>): number {
  return Object.values(bill).reduce((sum, item) => sum + item.usd, 0);
}
