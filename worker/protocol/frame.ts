/**
 * Binary data frames of the live protocol, version 2.
 *
 * One frame carries every point of one shard's batches `fromSeq..toSeq` (inclusive) that match a subscription:
 *
 *   u8      kind = FRAME_KIND_DATA
 *   varuint sid                         the shard (see `positions.ts`)
 *   u32le   epoch                       of that shard
 *   varuint fromSeq, toSeq
 *   varuint baseTs                      ms since the Unix epoch
 *   varuint groupCount
 *   per group (one series):
 *     varuint seriesId, varuint pointCount
 *     per point: varint tsDelta (from the previous point of the group, the first from baseTs)
 *                u8 tag, value: tag 0..6 → varint mantissa, value = mantissa / 10^tag
 *                               tag 7    → f64le (NaN and ±Inf too)
 *                               tag 8    → none: a staleness marker (the series ends here)
 *
 * Sensor values usually have few decimals, so most points cost 4–6 bytes.
 */

export const FRAME_KIND_DATA = 2;
const TAG_FLOAT64 = 7;
const TAG_STALE = 8;
const MAX_DECIMALS = 6;
const POW10 = [1, 10, 100, 1000, 10000, 100000, 1000000];
/** Mantissas stay within 2^52 so their zigzag form is a safe integer. */
const MAX_MANTISSA = 2 ** 52;

export interface FramePoints {
  seriesId: number;
  ts: number[];
  /** A staleness marker's value is NaN. */
  values: number[];
  /** True where the point is a staleness marker; absent when the group has none. */
  stale?: boolean[];
}

export interface DataFrame {
  sid: number;
  epoch: number;
  fromSeq: number;
  toSeq: number;
  groups: FramePoints[];
}

/** Grows a byte buffer as a frame is written. */
class ByteWriter {
  private bytes = new Uint8Array(256);
  private view = new DataView(this.bytes.buffer);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.length + n));
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
    this.view = new DataView(grown.buffer);
  }

  u8(value: number): void {
    this.reserve(1);
    this.bytes[this.length++] = value;
  }

  u32(value: number): void {
    this.reserve(4);
    this.view.setUint32(this.length, value, true);
    this.length += 4;
  }

  f64(value: number): void {
    this.reserve(8);
    this.view.setFloat64(this.length, value, true);
    this.length += 8;
  }

  /** LEB128 for non-negative safe integers; arithmetic, because bit operators truncate to 32 bits. */
  varuint(value: number): void {
    this.reserve(8);
    while (value >= 0x80) {
      this.bytes[this.length++] = (value % 0x80) | 0x80;
      value = Math.floor(value / 0x80);
    }
    this.bytes[this.length++] = value;
  }

  varint(value: number): void {
    this.varuint(value >= 0 ? value * 2 : -value * 2 - 1);
  }

  finish(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }
}

class ByteReader {
  private offset = 0;
  private readonly bytes: Uint8Array;
  private readonly view: DataView;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  private need(n: number): void {
    if (this.offset + n > this.bytes.length) throw new RangeError("frame is truncated");
  }

  u8(): number {
    this.need(1);
    return this.bytes[this.offset++]!;
  }

  u32(): number {
    this.need(4);
    const value = this.view.getUint32(this.offset, true);
    this.offset += 4;
    return value;
  }

  f64(): number {
    this.need(8);
    const value = this.view.getFloat64(this.offset, true);
    this.offset += 8;
    return value;
  }

  varuint(): number {
    let value = 0;
    let scale = 1;
    for (;;) {
      const byte = this.u8();
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 0x80;
      if (scale > 2 ** 56) throw new RangeError("varint is too long");
    }
  }

  varint(): number {
    const zigzag = this.varuint();
    return zigzag % 2 === 0 ? zigzag / 2 : -(zigzag + 1) / 2;
  }

  get done(): boolean {
    return this.offset === this.bytes.length;
  }
}

/** The fewest decimals that represent `value` exactly, or TAG_FLOAT64. */
function decimalTag(value: number): number {
  for (let decimals = 0; decimals <= MAX_DECIMALS; decimals++) {
    const mantissa = Math.round(value * POW10[decimals]!);
    if (Math.abs(mantissa) >= MAX_MANTISSA) return TAG_FLOAT64;
    if (mantissa / POW10[decimals]! === value && !Object.is(value, -0)) return decimals;
  }
  return TAG_FLOAT64;
}

/** Encodes a frame; groups with no points are skipped. */
export function encodeFrame(frame: DataFrame): Uint8Array {
  const groups = frame.groups.filter((group) => group.ts.length > 0);
  let baseTs = Number.POSITIVE_INFINITY;
  for (const group of groups) baseTs = Math.min(baseTs, group.ts[0]!);
  if (!Number.isFinite(baseTs)) baseTs = 0;

  const out = new ByteWriter();
  out.u8(FRAME_KIND_DATA);
  out.varuint(frame.sid);
  out.u32(frame.epoch);
  out.varuint(frame.fromSeq);
  out.varuint(frame.toSeq);
  out.varuint(baseTs);
  out.varuint(groups.length);
  for (const { seriesId, ts, values, stale } of groups) {
    out.varuint(seriesId);
    out.varuint(ts.length);
    let previousTs = baseTs;
    for (let i = 0; i < ts.length; i++) {
      out.varint(ts[i]! - previousTs);
      previousTs = ts[i]!;
      if (stale?.[i]) {
        out.u8(TAG_STALE);
        continue;
      }
      const value = values[i]!;
      const tag = decimalTag(value);
      out.u8(tag);
      if (tag === TAG_FLOAT64) out.f64(value);
      else out.varint(Math.round(value * POW10[tag]!));
    }
  }
  return out.finish();
}

/** What a frame's header says: the shard, its epoch and the batches covered, e.g. for an SSE event id. */
export interface FrameHeader {
  sid: number;
  epoch: number;
  fromSeq: number;
  toSeq: number;
}

/** Reads only a frame's header. */
export function readFrameHeader(bytes: Uint8Array): FrameHeader {
  const input = new ByteReader(bytes);
  const kind = input.u8();
  if (kind !== FRAME_KIND_DATA) throw new RangeError(`unknown frame kind ${kind}`);
  const sid = input.varuint();
  const epoch = input.u32();
  const fromSeq = input.varuint();
  return { sid, epoch, fromSeq, toSeq: input.varuint() };
}

/** Decodes a frame; throws RangeError on malformed input. */
export function decodeFrame(bytes: Uint8Array): DataFrame {
  const input = new ByteReader(bytes);
  const kind = input.u8();
  if (kind !== FRAME_KIND_DATA) throw new RangeError(`unknown frame kind ${kind}`);
  const sid = input.varuint();
  const epoch = input.u32();
  const fromSeq = input.varuint();
  const toSeq = input.varuint();
  const baseTs = input.varuint();
  const groupCount = input.varuint();
  const groups: FramePoints[] = [];
  for (let g = 0; g < groupCount; g++) {
    const seriesId = input.varuint();
    const count = input.varuint();
    const ts: number[] = [];
    const values: number[] = [];
    const stale: boolean[] = [];
    let previousTs = baseTs;
    for (let i = 0; i < count; i++) {
      previousTs += input.varint();
      ts.push(previousTs);
      const tag = input.u8();
      stale.push(tag === TAG_STALE);
      if (tag === TAG_STALE) values.push(Number.NaN);
      else if (tag === TAG_FLOAT64) values.push(input.f64());
      else if (tag <= MAX_DECIMALS) values.push(input.varint() / POW10[tag]!);
      else throw new RangeError(`unknown value tag ${tag}`);
    }
    groups.push({ seriesId, ts, values, ...(stale.includes(true) ? { stale } : {}) });
  }
  if (!input.done) throw new RangeError("trailing bytes after frame");
  return { sid, epoch, fromSeq, toSeq, groups };
}
