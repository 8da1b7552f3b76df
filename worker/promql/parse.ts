/** PromQL text → checked AST, using the official lezer grammar; every error is bad_data naming its position. */

import type { SyntaxNode } from "@lezer/common";
import { parser } from "@prometheus-io/lezer-promql";
import type { AggregateOp, AtModifier, BinaryOp, Expr, VectorMatching } from "./ast.ts";
import { badData } from "./errors.ts";
import { METRIC_NAME } from "./labels.ts";
import { parseDuration, parseNumber, unquote } from "./literals.ts";
import type { LabelMatcher, MatchType } from "./querier.ts";
import {
  applyModifier,
  bindToOperand,
  checkAggregate,
  checkBinary,
  checkCall,
  checkSelector,
  scalarOrVector,
  typeOf,
  UNARY_OPERAND,
} from "./typecheck.ts";

/** Where an error is: Prometheus's `line:column` of a character offset. */
class ParseFailure extends Error {
  readonly pos: number;

  constructor(pos: number, message: string) {
    super(message);
    this.pos = pos;
  }
}

const fail = (node: SyntaxNode, message: string): never => {
  throw new ParseFailure(node.from, message);
};

function position(text: string, offset: number): string {
  const before = text.slice(0, offset).split("\n");
  return `${before.length}:${(before.at(-1)?.length ?? 0) + 1}`;
}

/** Parses and type-checks an expression; throws PromQLError("bad_data") with `line:col: parse error: …`. */
export function parseExpr(text: string): Expr {
  try {
    const tree = parser.parse(text);
    const cursor = tree.cursor();
    do {
      if (cursor.type.isError) {
        const near = text.slice(cursor.from, cursor.to) || text.slice(cursor.from, cursor.from + 1);
        throw new ParseFailure(
          cursor.from,
          near ? `unexpected character: ${JSON.stringify(near)}` : "unexpected end of input",
        );
      }
    } while (cursor.next());
    const top = kids(tree.topNode)[0];
    if (!top) throw new ParseFailure(0, "no expression found in input");
    return new Converter(text).expr(top);
  } catch (e) {
    if (e instanceof ParseFailure)
      throw badData(`${position(text, e.pos)}: parse error: ${e.message}`, "query");
    throw e;
  }
}

function kids(node: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let c = node.firstChild; c; c = c.nextSibling) if (c.name !== "LineComment") out.push(c);
  return out;
}

const matchTypes: Readonly<Record<string, MatchType>> = {
  EqlSingle: "=",
  Neq: "!=",
  EqlRegex: "=~",
  NeqRegex: "!~",
};

class Converter {
  private readonly src: string;

  constructor(src: string) {
    this.src = src;
  }

  private text(n: SyntaxNode): string {
    return this.src.slice(n.from, n.to);
  }

  private string(n: SyntaxNode): string {
    try {
      return unquote(this.text(n));
    } catch (e) {
      // An error inside a sub-expression keeps its own position.
      if (e instanceof ParseFailure) throw e;
      return fail(n, (e as Error).message);
    }
  }

  private duration(n: SyntaxNode, what: string): number {
    const parts = kids(n);
    const only = parts[0];
    if (parts.length !== 1 || !only || only.name !== "NumberDurationLiteralInDurationContext")
      return fail(
        n,
        `unsupported ${what}: ${JSON.stringify(this.text(n))} (only plain durations are PromQL 2.x)`,
      );
    const ms = parseDuration(this.text(only));
    return ms === undefined ? fail(only, `bad duration syntax: ${JSON.stringify(this.text(only))}`) : ms;
  }

  expr(n: SyntaxNode): Expr {
    const c = kids(n);
    const child = (i: number): SyntaxNode => c[i] ?? fail(n, "unexpected end of input");
    switch (n.name) {
      case "NumberDurationLiteral": {
        const v = parseNumber(this.text(n));
        return v === undefined
          ? fail(n, `bad number syntax: ${JSON.stringify(this.text(n))}`)
          : { type: "number", value: v };
      }
      case "StringLiteral":
        return { type: "string", value: this.string(n) };
      case "ParenExpr":
        return { type: "paren", expr: this.expr(child(0)) };
      case "VectorSelector":
        return this.vectorSelector(n, c);
      case "MatrixSelector": {
        const range = this.positive(child(1), "range");
        return this.checked(n, () =>
          bindToOperand(this.expr(child(0)), (vector) => {
            if (vector.type !== "vectorSelector") throw new Error("ranges only allowed for vector selectors");
            if (vector.offset !== 0 || vector.at !== undefined)
              throw new Error("no offset modifiers allowed before range");
            return { type: "matrixSelector", vector, range };
          }),
        );
      }
      case "SubqueryExpr": {
        const range = this.positive(child(1), "range");
        const step = c[2] ? this.positive(child(2), "step") : 0;
        return this.checked(n, () =>
          bindToOperand(this.expr(child(0)), (expr) => {
            const t = typeOf(expr);
            if (t !== "vector")
              throw new Error(`subquery is only allowed on instant vector, got ${describe(t)} instead`);
            return { type: "subquery", expr, range, step, offset: 0 };
          }),
        );
      }
      case "OffsetExpr": {
        const body = kids(child(2));
        const negative = body[0]?.name === "UnaryOp" && this.text(body[0]) === "-";
        const ms = this.duration(negative ? (body[1] as SyntaxNode) : child(2), "offset");
        return this.modify(n, this.expr(child(0)), { offset: negative ? -ms : ms });
      }
      case "StepInvariantExpr":
        return this.modify(n, this.expr(child(0)), { at: this.at(child(2)) });
      case "UnaryExpr": {
        const expr = this.checked(n, () => scalarOrVector(this.expr(child(1)), UNARY_OPERAND));
        return { type: "unary", op: this.text(child(0)) === "-" ? "-" : "+", expr };
      }
      case "BinaryExpr":
        return this.binary(n, c);
      case "FunctionCall": {
        const name = this.text(child(0));
        const args = kids(child(1)).map((a) => this.expr(a));
        return this.checked(n, () => checkCall(name, args));
      }
      case "AggregateExpr":
        return this.aggregate(n, c);
      default:
        return fail(n, `unsupported expression ${JSON.stringify(this.text(n))} (not PromQL 2.x)`);
    }
  }

  private positive(n: SyntaxNode, what: string): number {
    const ms = this.duration(n, what);
    return ms > 0 ? ms : fail(n, `${what} must be positive, got ${JSON.stringify(this.text(n))}`);
  }

  private at(n: SyntaxNode): AtModifier {
    if (n.name === "AtModifierPreprocessors") return this.text(n) === "start" ? "start" : "end";
    const seconds = parseNumber(this.text(n));
    if (seconds === undefined || !Number.isFinite(seconds))
      return fail(n, "timestamp out of bounds for @ modifier");
    return Math.round(seconds * 1000);
  }

  private checked<T>(n: SyntaxNode, check: () => T): T {
    try {
      return check();
    } catch (e) {
      // An error inside a sub-expression keeps its own position.
      if (e instanceof ParseFailure) throw e;
      return fail(n, (e as Error).message);
    }
  }

  private modify(n: SyntaxNode, expr: Expr, modifier: { offset?: number; at?: AtModifier }): Expr {
    return this.checked(n, () => applyModifier(expr, modifier));
  }

  private vectorSelector(n: SyntaxNode, c: SyntaxNode[]): Expr {
    const matchers: LabelMatcher[] = [];
    for (const part of c) {
      if (part.name === "Identifier") matchers.push({ name: METRIC_NAME, type: "=", value: this.text(part) });
      else for (const m of kids(part)) matchers.push(this.matcher(m));
    }
    return this.checked(n, () => checkSelector(matchers));
  }

  private matcher(n: SyntaxNode): LabelMatcher {
    const [name, op, value] = kids(n);
    if (n.name === "QuotedLabelName" && name)
      return { name: METRIC_NAME, type: "=", value: this.string(name) };
    if (!name || !op || !value) return fail(n, "unexpected label matcher");
    const labelName = n.name === "QuotedLabelMatcher" ? this.string(kids(name)[0] ?? name) : this.text(name);
    const type = matchTypes[kids(op)[0]?.name ?? ""] ?? fail(op, "unexpected match operator");
    return { name: labelName, type, value: this.string(value) };
  }

  private labelList(n: SyntaxNode): string[] {
    return kids(n).map((l) => (l.name === "QuotedLabelName" ? this.string(kids(l)[0] ?? l) : this.text(l)));
  }

  private binary(n: SyntaxNode, c: SyntaxNode[]): Expr {
    const [lhsNode, opNode] = c;
    const rhsNode = c.at(-1);
    if (!lhsNode || !opNode || !rhsNode) return fail(n, "unexpected end of input");
    let lhs = this.expr(lhsNode);
    const op = this.text(opNode) as BinaryOp;
    if (
      ![
        "+",
        "-",
        "*",
        "/",
        "%",
        "^",
        "atan2",
        "==",
        "!=",
        ">",
        "<",
        ">=",
        "<=",
        "and",
        "or",
        "unless",
      ].includes(op)
    )
      return fail(opNode, `unsupported operator ${JSON.stringify(op)}`);
    // Prometheus binds `^` tighter than a sign: -2^2 is -(2^2), where the grammar reads a signed literal.
    let negate = false;
    if (
      op === "^" &&
      lhsNode.name === "NumberDurationLiteral" &&
      /^[+-]/.test(this.text(lhsNode)) &&
      lhs.type === "number"
    ) {
      negate = this.text(lhsNode).startsWith("-");
      lhs = { type: "number", value: Math.abs(lhs.value) };
    }
    let bool = false;
    let matching: Omit<VectorMatching, "card"> & { card?: VectorMatching["card"] } = {
      on: false,
      labels: [],
      include: [],
    };
    let explicitMatching = false;
    for (const m of c.slice(2, -1)) {
      if (m.name === "BoolModifier") bool = true;
      else if (m.name === "MatchingModifierClause") {
        explicitMatching = true;
        const parts = kids(m);
        const group = parts[2] ? this.text(parts[2]) : undefined;
        matching = {
          on: this.text(parts[0] as SyntaxNode) === "on",
          labels: this.labelList(parts[1] as SyntaxNode),
          include: parts[3] ? this.labelList(parts[3]) : [],
          card: group === "group_left" ? "many-to-one" : group === "group_right" ? "one-to-many" : undefined,
        };
      } else return fail(m, `unsupported binary modifier ${JSON.stringify(this.text(m))}`);
    }
    const rhs = this.expr(rhsNode);
    const expr = this.checked(n, () => checkBinary(op, lhs, rhs, bool, matching, explicitMatching));
    return negate ? { type: "unary", op: "-", expr } : expr;
  }

  private aggregate(n: SyntaxNode, c: SyntaxNode[]): Expr {
    const op = this.text(c[0] as SyntaxNode) as AggregateOp;
    const modifier = c.find((k) => k.name === "AggregateModifier");
    const body = c.find((k) => k.name === "FunctionCallBody") ?? fail(n, "unexpected end of input");
    const args = kids(body).map((a) => this.expr(a));
    const mk = modifier ? kids(modifier) : [];
    const without = mk[0] ? this.text(mk[0]) === "without" : false;
    const grouping = mk[1] ? this.labelList(mk[1]) : [];
    return this.checked(n, () => checkAggregate(op, args, grouping, without));
  }
}

function describe(t: string): string {
  return t === "vector" ? "instant vector" : t === "matrix" ? "range vector" : t;
}
