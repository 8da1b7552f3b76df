/** Errors shaped as Prometheus's API reports them: `errorType` is the JSON field, `apiMessage` the `error` text. */
export type PromQLErrorType = "bad_data" | "execution" | "timeout" | "canceled" | "internal";

/** The API parameter a bad_data error is about, as Prometheus names it in `invalid parameter "…": …`. */
export type QueryParameter = "query" | "start" | "end" | "step" | "match[]";

export class PromQLError extends Error {
  readonly errorType: PromQLErrorType;
  readonly parameter?: QueryParameter;

  constructor(errorType: PromQLErrorType, message: string, parameter?: QueryParameter) {
    super(message);
    this.name = "PromQLError";
    this.errorType = errorType;
    if (parameter) this.parameter = parameter;
  }

  /** The `error` text of Prometheus's API response, e.g. `invalid parameter "query": 1:5: parse error: …`. */
  get apiMessage(): string {
    return this.parameter
      ? `invalid parameter ${JSON.stringify(this.parameter)}: ${this.message}`
      : this.message;
  }
}

export const badData = (message: string, parameter?: QueryParameter): PromQLError =>
  new PromQLError("bad_data", message, parameter);
export const execution = (message: string): PromQLError => new PromQLError("execution", message);
