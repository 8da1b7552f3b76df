/** Errors shaped as Prometheus's API reports them: `errorType` is the JSON field, `message` the `error` text. */
export type PromQLErrorType = "bad_data" | "execution" | "timeout" | "canceled" | "internal";

export class PromQLError extends Error {
  readonly errorType: PromQLErrorType;

  constructor(errorType: PromQLErrorType, message: string) {
    super(message);
    this.name = "PromQLError";
    this.errorType = errorType;
  }
}

export const badData = (message: string): PromQLError => new PromQLError("bad_data", message);
export const execution = (message: string): PromQLError => new PromQLError("execution", message);
