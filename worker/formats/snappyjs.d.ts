/** snappyjs (pure JavaScript Snappy, block format) ships no types: what we use of it (tests compress). */
declare module "snappyjs" {
  /** Throws when the data is not Snappy, or would uncompress to more than `maxLength` bytes. */
  export function uncompress(compressed: Uint8Array, maxLength?: number): Uint8Array;
  export function compress(uncompressed: Uint8Array): Uint8Array;
}
