// worker/auth/tokens.ts names WebCrypto's `CryptoKey` type, which @types/node declares only as a value.
type CryptoKey = import("node:crypto").webcrypto.CryptoKey;
