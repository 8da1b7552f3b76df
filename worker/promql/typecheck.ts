/** Prometheus's parser checks (parser.checkAST): types of operands and arguments, modifiers, matchers. */
import type { AggregateOp, AtModifier, BinaryOp, Expr, ValueType, VectorMatching } from "./ast.ts";
import { isComparison, isSetOp } from "./ast.ts";
import { functions } from "./functions.ts";
import { compileRegex, METRIC_NAME, matches } from "./labels.ts";
import type { LabelMatcher } from "./querier.ts";

const typeNames: Readonly<Record<ValueType, string>> = {
  scalar: "scalar",
  vector: "instant vector",
  matrix: "range vector",
  string: "string",
};

/** The type an expression evaluates to. */
export function typeOf(e: Expr): ValueType {
  switch (e.type) {
    case "number":
      return "scalar";
    case "string":
      return "string";
    case "vectorSelector":
    case "aggregate":
      return "vector";
    case "matrixSelector":
    case "subquery":
      return "matrix";
    case "call":
      return functions[e.func]?.returns ?? "vector";
    case "binary":
      return typeOf(e.lhs) === "scalar" && typeOf(e.rhs) === "scalar" ? "scalar" : "vector";
    case "unary":
    case "paren":
      return typeOf(e.expr);
  }
}

function expectType(e: Expr, want: ValueType, context: string): void {
  const got = typeOf(e);
  if (got !== want) throw new Error(`expected type ${typeNames[want]} in ${context}, got ${typeNames[got]}`);
}

export function checkSelector(matchers: LabelMatcher[]): Expr {
  const names = matchers.filter((m) => m.name === METRIC_NAME && m.type === "=");
  if (names.length > 1)
    throw new Error(
      `metric name must not be set twice: ${JSON.stringify(names[0]?.value)} or ${JSON.stringify(names[1]?.value)}`,
    );
  for (const m of matchers) if (m.type === "=~" || m.type === "!~") compileRegex(m.value);
  if (matchers.every((m) => matches(m, "")))
    throw new Error("vector selector must contain at least one non-empty matcher");
  return { type: "vectorSelector", matchers, offset: 0 };
}

/**
 * Prometheus binds `[…]`, `offset` and `@` to the operand right before them (`a - b offset 5m` offsets b); the lezer
 * grammar hangs them on the whole expression, so they are moved down to the last operand, and its parents re-checked.
 */
export function bindToOperand(e: Expr, apply: (operand: Expr) => Expr): Expr {
  if (e.type === "binary")
    return {
      ...e,
      rhs: scalarOrVector(bindToOperand(e.rhs, apply), BINARY_OPERANDS),
    };
  if (e.type === "unary")
    return {
      ...e,
      expr: scalarOrVector(bindToOperand(e.expr, apply), UNARY_OPERAND),
    };
  return apply(e);
}

export const BINARY_OPERANDS = "binary expression must contain only scalar and instant vector types";
export const UNARY_OPERAND = "unary expression only allowed on expressions of type scalar or instant vector";

/** `e`, unless it is a range vector or a string (operators take neither). */
export function scalarOrVector(e: Expr, message: string): Expr {
  const t = typeOf(e);
  if (t !== "scalar" && t !== "vector") throw new Error(message);
  return e;
}

export function applyModifier(e: Expr, modifier: { offset?: number; at?: AtModifier }): Expr {
  return bindToOperand(e, (operand) => modifyOperand(operand, modifier));
}

function modifyOperand(e: Expr, modifier: { offset?: number; at?: AtModifier }): Expr {
  const what = modifier.at !== undefined ? "@ modifier" : "offset modifier";
  const target = e.type === "matrixSelector" ? e.vector : e;
  if (target.type !== "vectorSelector" && target.type !== "subquery")
    throw new Error(
      `${what} must be preceded by an instant vector selector or range vector selector or a subquery`,
    );
  if (modifier.offset !== undefined && target.offset !== 0)
    throw new Error("offset may not be set multiple times");
  if (modifier.at !== undefined && target.at !== undefined)
    throw new Error("@ <timestamp> may not be set multiple times");
  const modified = { ...target, ...modifier };
  return e.type === "matrixSelector" ? { ...e, vector: modified as typeof e.vector } : modified;
}

export function checkCall(name: string, args: Expr[]): Expr {
  const fn = functions[name];
  if (!fn) throw new Error(`unknown function with name ${JSON.stringify(name)}`);
  const min = fn.args.length - (fn.optional ?? 0);
  const max = fn.variadic ? Number.POSITIVE_INFINITY : fn.args.length;
  const quoted = JSON.stringify(name);
  if (args.length < min || args.length > max) {
    const bound =
      args.length < min ? (fn.optional || fn.variadic ? "at least " : "") : fn.optional ? "at most " : "";
    const n = args.length < min ? min : fn.args.length;
    throw new Error(`expected ${bound}${n} argument(s) in call to ${quoted}, got ${args.length}`);
  }
  args.forEach((a, i) => {
    expectType(a, fn.args[Math.min(i, fn.args.length - 1)] as ValueType, `call to function ${quoted}`);
  });
  return { type: "call", func: name, args };
}

const parameterType: Partial<Record<AggregateOp, ValueType>> = {
  topk: "scalar",
  bottomk: "scalar",
  quantile: "scalar",
  count_values: "string",
};

export function checkAggregate(op: AggregateOp, args: Expr[], grouping: string[], without: boolean): Expr {
  const paramType = parameterType[op];
  const want = paramType ? 2 : 1;
  if (args.length !== want)
    throw new Error(
      `wrong number of arguments for aggregate expression provided, expected ${want}, got ${args.length}`,
    );
  const expr = args[want - 1] as Expr;
  expectType(expr, "vector", "aggregation expression");
  const param = paramType ? args[0] : undefined;
  if (param && paramType) expectType(param, paramType, "aggregation parameter");
  return param
    ? { type: "aggregate", op, expr, param, grouping, without }
    : { type: "aggregate", op, expr, grouping, without };
}

export function checkBinary(
  op: BinaryOp,
  lhs: Expr,
  rhs: Expr,
  bool: boolean,
  m: Omit<VectorMatching, "card"> & { card?: VectorMatching["card"] },
  explicitMatching: boolean,
): Expr {
  const lt = typeOf(lhs);
  const rt = typeOf(rhs);
  if (bool && !isComparison(op)) throw new Error("bool modifier can only be used on comparison operators");
  if (isComparison(op) && !bool && lt === "scalar" && rt === "scalar")
    throw new Error("comparisons between scalars must use BOOL modifier");
  if (m.on)
    for (const l of m.include)
      if (m.labels.includes(l))
        throw new Error(`label ${JSON.stringify(l)} must not occur in ON and GROUP clause at once`);
  scalarOrVector(lhs, BINARY_OPERANDS);
  scalarOrVector(rhs, BINARY_OPERANDS);
  const vectors = lt === "vector" && rt === "vector";
  if (!vectors && explicitMatching && m.labels.length > 0)
    throw new Error("vector matching only allowed between instant vectors");
  if (isSetOp(op)) {
    if (!vectors)
      throw new Error(`set operator ${JSON.stringify(op)} not allowed in binary scalar expression`);
    if (m.card) throw new Error(`no grouping allowed for "${op}" operation`);
  }
  if (!vectors) return { type: "binary", op, lhs, rhs, bool };
  const card = isSetOp(op) ? "many-to-many" : (m.card ?? "one-to-one");
  return {
    type: "binary",
    op,
    lhs,
    rhs,
    bool,
    matching: { card, on: m.on, labels: m.labels, include: m.include },
  };
}
