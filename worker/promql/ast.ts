/** The PromQL syntax tree the evaluator walks: a discriminated union on `type`, checked before evaluation. */
import type { LabelMatcher } from "./querier.ts";

export type ValueType = "scalar" | "vector" | "matrix" | "string";

/** `@ <time>` as written: an absolute time in ms, or the query's start or end. */
export type AtModifier = number | "start" | "end";

export interface NumberLiteral {
  readonly type: "number";
  readonly value: number;
}

export interface StringLiteral {
  readonly type: "string";
  readonly value: string;
}

export interface VectorSelector {
  readonly type: "vectorSelector";
  /** The matchers sent to storage, the metric name (if written bare) as a `__name__` matcher. */
  readonly matchers: readonly LabelMatcher[];
  readonly offset: number;
  readonly at?: AtModifier;
}

export interface MatrixSelector {
  readonly type: "matrixSelector";
  readonly vector: VectorSelector;
  readonly range: number;
}

export interface Subquery {
  readonly type: "subquery";
  readonly expr: Expr;
  readonly range: number;
  /** 0: the engine's default subquery step. */
  readonly step: number;
  readonly offset: number;
  readonly at?: AtModifier;
}

export interface Call {
  readonly type: "call";
  readonly func: string;
  readonly args: readonly Expr[];
}

export type AggregateOp =
  | "sum"
  | "avg"
  | "count"
  | "min"
  | "max"
  | "group"
  | "stddev"
  | "stdvar"
  | "topk"
  | "bottomk"
  | "quantile"
  | "count_values";

export interface Aggregate {
  readonly type: "aggregate";
  readonly op: AggregateOp;
  readonly expr: Expr;
  readonly param?: Expr;
  readonly grouping: readonly string[];
  readonly without: boolean;
}

export type ArithmeticOp = "+" | "-" | "*" | "/" | "%" | "^" | "atan2";
export type ComparisonOp = "==" | "!=" | ">" | "<" | ">=" | "<=";
export type SetOp = "and" | "or" | "unless";
export type BinaryOp = ArithmeticOp | ComparisonOp | SetOp;

export interface VectorMatching {
  readonly card: "one-to-one" | "many-to-one" | "one-to-many" | "many-to-many";
  /** true: `on(labels)`; false: `ignoring(labels)` (also the default, with no labels). */
  readonly on: boolean;
  readonly labels: readonly string[];
  /** The labels of `group_left(…)`/`group_right(…)`, copied from the "one" side. */
  readonly include: readonly string[];
}

export interface Binary {
  readonly type: "binary";
  readonly op: BinaryOp;
  readonly lhs: Expr;
  readonly rhs: Expr;
  readonly bool: boolean;
  /** Present when both sides are instant vectors. */
  readonly matching?: VectorMatching;
}

export interface Unary {
  readonly type: "unary";
  readonly op: "-" | "+";
  readonly expr: Expr;
}

export interface Paren {
  readonly type: "paren";
  readonly expr: Expr;
}

export type Expr =
  | NumberLiteral
  | StringLiteral
  | VectorSelector
  | MatrixSelector
  | Subquery
  | Call
  | Aggregate
  | Binary
  | Unary
  | Paren;

export const isComparison = (op: BinaryOp): op is ComparisonOp =>
  op === "==" || op === "!=" || op === ">" || op === "<" || op === ">=" || op === "<=";

export const isSetOp = (op: BinaryOp): op is SetOp => op === "and" || op === "or" || op === "unless";

/** Strips parentheses, as Prometheus does before looking at a function's argument. */
export function unwrapParens(expr: Expr): Expr {
  let e = expr;
  while (e.type === "paren") e = e.expr;
  return e;
}
