import { ALL_VALUE, type Variable } from "./dashboards.ts";
import { interpolate, type Scope, single, type VariableValue } from "./interpolate.ts";
import {
  filterVariableValues,
  listOptions,
  parseVariableQuery,
  type VariableQuery,
} from "./variable-query.ts";

/**
 * A dashboard's variables resolved in order, as Grafana does: each query variable's query is interpolated with the
 * variables before it (`label_values(up{job="$job"}, instance)`), its options fetched, and the selection (from the
 * URL, else the saved `current`) kept where it is still an option. No runtime dependencies.
 */

/** Selected values by variable name, as the URL carries them (`var-job=node&var-instance=a&var-instance=b`). */
export type Selection = Readonly<Record<string, readonly string[]>>;

const PREFIX = "var-";

export function selectionFromParams(params: URLSearchParams): Selection {
  const selection: Record<string, string[]> = {};
  for (const [key, value] of params) {
    if (!key.startsWith(PREFIX)) continue;
    const name = key.slice(PREFIX.length);
    selection[name] = [...(selection[name] ?? []), value];
  }
  return selection;
}

export function selectionToParams(selection: Selection): URLSearchParams {
  const params = new URLSearchParams();
  for (const [name, values] of Object.entries(selection))
    for (const value of values) params.append(`${PREFIX}${name}`, value);
  return params;
}

interface Choices {
  multi: boolean;
  includeAll: boolean;
  allValue?: string;
}

/**
 * The value chosen among `options`: All (`$__all`) where allowed, the selected options still offered (one unless
 * multi), else All where allowed, else the first option.
 */
export function chooseValue(
  choices: Choices,
  options: readonly string[],
  selected: readonly string[],
): VariableValue {
  const multi = choices.multi || choices.includeAll;
  const all: VariableValue = {
    values: [...options],
    multi,
    ...(choices.allValue !== undefined ? { allValue: choices.allValue } : {}),
  };
  if (choices.includeAll && selected.includes(ALL_VALUE)) return all;
  const offered = selected.filter((value) => options.includes(value));
  const kept = choices.multi ? offered : offered.slice(0, 1);
  if (kept.length > 0) return { values: kept, multi };
  if (choices.includeAll) return all;
  return { values: options.slice(0, 1), multi };
}

const savedSelection = (variable: Variable): string[] => {
  const value = variable.current?.value;
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
};

/** Fetches a query variable's values from the board's Prometheus API (see `variableQueryRequest`). */
export type FetchValues = (query: VariableQuery) => Promise<string[]>;

export class VariableError extends Error {
  readonly variable: string;
  constructor(variable: string, message: string) {
    super(`variable ${variable}: ${message}`);
    this.variable = variable;
  }
}

/**
 * Every variable's value, in order, over `builtins` (see `builtinScope`); a bad query throws a VariableError.
 * `offered`, when given, receives each variable's options (what a variables bar lists).
 */
export async function resolveVariables(
  variables: readonly Variable[],
  selection: Selection,
  fetchValues: FetchValues,
  builtins: Scope = {},
  offered?: Map<string, string[]>,
): Promise<Record<string, VariableValue>> {
  const scope: Record<string, VariableValue> = { ...builtins };
  for (const variable of variables) {
    const selected = selection[variable.name] ?? savedSelection(variable);
    switch (variable.type) {
      case "constant":
        scope[variable.name] = single(variable.query);
        offered?.set(variable.name, [variable.query]);
        break;
      case "interval": {
        const options = listOptions(variable.query);
        scope[variable.name] = chooseValue({ multi: false, includeAll: false }, options, selected);
        offered?.set(variable.name, options);
        break;
      }
      case "custom": {
        const options = listOptions(variable.query);
        scope[variable.name] = chooseValue(variable, options, selected);
        offered?.set(variable.name, options);
        break;
      }
      case "query": {
        const query = parseVariableQuery(interpolate(variable.query, scope));
        if ("error" in query) throw new VariableError(variable.name, query.error);
        const options = filterVariableValues(await fetchValues(query), variable.regex);
        if ("error" in options) throw new VariableError(variable.name, options.error);
        scope[variable.name] = chooseValue(variable, options, selected);
        offered?.set(variable.name, options);
        break;
      }
    }
  }
  return scope;
}
