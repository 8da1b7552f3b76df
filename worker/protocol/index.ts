export * from "./base64.ts";
export * from "./frame.ts";
export * from "./history.ts";
export * from "./labels.ts";
export * from "./messages.ts";
export * from "./positions.ts";
export * from "./selectors.ts";
export * from "./stats.ts";
