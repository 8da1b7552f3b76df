import {
  type AlertEvent,
  type AlertOp,
  type AlertRule,
  fromJsonValue,
  type PromqlAlertRule,
  type SeriesDef,
} from "../../worker/protocol/index.ts";
import { AlertState, type AlertsAnswer, type HeldAlert, marksFor } from "./alert-state.ts";
import { fetchJson } from "./api.ts";
import { element } from "./dom.ts";
import { formatClock, formatDuration, formatValue } from "./format.ts";

const TOAST_MS = 8_000;
const HISTORY_WINDOW_MS = 24 * 3_600_000;
const HISTORY_SHOWN = 50;

export interface AlertPanelElements {
  banner: HTMLElement;
  toasts: HTMLElement;
  summary: HTMLElement;
  rules: HTMLElement;
  form: HTMLFormElement;
  formHint: HTMLElement;
  history: HTMLElement;
}

export interface AlertPanelOptions {
  page: string;
  board: string;
  token: string;
  /** Whether the token may add and delete rules. */
  admin: boolean;
  /** The rules or what fires changed: charts redraw thresholds and marks. */
  onChange: (state: AlertState) => void;
}

function describeRule(rule: AlertRule): string {
  const wait = rule.forMs > 0 ? ` for ${formatDuration(rule.forMs)}` : "";
  if (rule.op === "nodata") return `${rule.series} silent${wait}`;
  return `${rule.series} ${rule.op} ${formatValue(rule.threshold!)}${wait}`;
}

function describePromqlRule(rule: PromqlAlertRule): string {
  return `${rule.expr}${rule.forMs > 0 ? ` for ${formatDuration(rule.forMs)}` : ""} (rule file, group ${rule.group})`;
}

function describeAlert(alert: HeldAlert): string {
  const value = alert.value === null ? "no data" : formatValue(fromJsonValue(alert.value));
  return `${alert.name} on ${alert.series} (${value}) since ${formatClock(alert.since)}`;
}

function describeEvent(event: AlertEvent): string {
  const value = event.value === null ? "no data" : formatValue(fromJsonValue(event.value));
  return `${formatClock(event.at)} ${event.name} ${event.state} on ${event.series} (${value})`;
}

/**
 * The board's alerts on screen: a banner while any fires, a toast per transition (in an `aria-live` region), the
 * rules with their state (an admin token adds and deletes them), and the last day's history.
 */
export class AlertPanel {
  readonly state = new AlertState();
  private readonly elements: AlertPanelElements;
  private readonly options: AlertPanelOptions;
  private readonly base: string;
  private events: AlertEvent[] = [];
  /** Live transitions that arrive while a refresh is in flight: applied again on top of its (older) answer. */
  private duringRefresh: AlertEvent[] | null = null;

  constructor(elements: AlertPanelElements, options: AlertPanelOptions) {
    this.elements = elements;
    this.options = options;
    this.base = new URL(`/api/v1/boards/${options.board}/alerts`, options.page).href;
    elements.form.hidden = !options.admin;
    elements.formHint.hidden = options.admin;
    elements.form.addEventListener("submit", (event) => {
      event.preventDefault();
      void this.create();
    });
  }

  /** Loads rules, what holds and the last day's transitions (on start and after each reconnect). */
  async refresh(): Promise<void> {
    const from = Date.now() - HISTORY_WINDOW_MS;
    const events = `${this.base}/events?from=${from}&order=desc&limit=${HISTORY_SHOWN}`;
    this.duringRefresh = [];
    try {
      const [answer, history] = await Promise.all([
        fetchJson<AlertsAnswer>(this.base, this.options.token),
        fetchJson<{ events: AlertEvent[] }>(events, this.options.token),
      ]);
      this.state.load(answer);
      this.events = history.events;
      for (const event of this.duringRefresh) this.state.apply(event);
    } finally {
      this.duringRefresh = null;
    }
    this.render();
  }

  /** The transitions shown (the last day's, newest first) that concern a series, for its chart. */
  marks(def: SeriesDef) {
    return marksFor(this.events, def);
  }

  /** A live transition. */
  receive(event: AlertEvent): void {
    this.duringRefresh?.push(event);
    this.state.apply(event);
    this.events.unshift(event);
    this.events.length = Math.min(this.events.length, HISTORY_SHOWN);
    if (event.state !== "pending") this.toast(event);
    this.render();
  }

  private toast(event: AlertEvent): void {
    const toast = element("div", `toast toast-${event.state}`, describeEvent(event));
    toast.dataset.testid = "toast";
    this.elements.toasts.append(toast);
    setTimeout(() => toast.remove(), TOAST_MS);
  }

  private render(): void {
    const { banner, summary, rules, history } = this.elements;
    const firing = this.state.firing();
    banner.hidden = firing.length === 0;
    banner.replaceChildren(
      element("span", "alert-banner-title", `${firing.length} alert${firing.length === 1 ? "" : "s"} firing`),
      ...firing.slice(0, 3).map((alert) => element("span", "alert-banner-item", describeAlert(alert))),
      ...(firing.length > 3 ? [element("span", "alert-banner-item", `and ${firing.length - 3} more`)] : []),
    );
    const pending = this.state.pending().length;
    const rulesCount = this.state.ruleList.length + this.state.promqlRules.length;
    summary.textContent = `Alerts: ${rulesCount} rule${rulesCount === 1 ? "" : "s"}, ${firing.length} firing${pending ? `, ${pending} pending` : ""}`;
    rules.replaceChildren(
      ...this.state.ruleList.map((rule) => this.ruleRow(rule, firing)),
      ...this.state.promqlRules.map((rule) => this.promqlRuleRow(rule, firing)),
    );
    if (rulesCount === 0) rules.append(element("li", "alert-empty", "No rules yet."));
    history.replaceChildren(
      ...this.events.map((event) => element("li", `alert-event alert-${event.state}`, describeEvent(event))),
    );
    if (this.events.length === 0)
      history.append(element("li", "alert-empty", "Nothing fired in the last 24 h."));
    this.options.onChange(this.state);
  }

  /** A rule's row: its name, condition and how many of its alerts fire. */
  private row(id: string, name: string, condition: string, firing: HeldAlert[]): HTMLElement {
    const row = element("li", "alert-rule", "");
    row.dataset.testid = "alert-rule";
    const count = firing.filter((alert) => alert.rule === id).length;
    row.dataset.firing = String(count > 0);
    row.append(
      element("span", "alert-rule-name", name),
      element("span", "alert-rule-condition", condition),
      element("span", "alert-rule-state", count > 0 ? `firing (${count})` : "ok"),
    );
    return row;
  }

  /** A rule file's rule: shown with its state; the rule file (`PUT …/rules`) changes it, not this list. */
  private promqlRuleRow(rule: PromqlAlertRule, firing: HeldAlert[]): HTMLElement {
    const row = this.row(rule.id, rule.name, describePromqlRule(rule), firing);
    row.dataset.source = "rule-file";
    return row;
  }

  private ruleRow(rule: AlertRule, firing: HeldAlert[]): HTMLElement {
    const row = this.row(rule.id, rule.name, describeRule(rule), firing);
    if (this.options.admin) {
      const remove = element("button", "alert-rule-delete", "Delete");
      remove.type = "button";
      remove.setAttribute("aria-label", `Delete rule ${rule.name}`);
      remove.addEventListener("click", () => void this.remove(rule));
      row.append(remove);
    }
    return row;
  }

  private async create(): Promise<void> {
    const data = new FormData(this.elements.form);
    const op = String(data.get("op")) as AlertOp;
    const number = (name: string) => {
      const text = String(data.get(name) ?? "").trim();
      return text === "" ? undefined : Number(text);
    };
    const rule = {
      name: String(data.get("name") ?? ""),
      series: String(data.get("series") ?? ""),
      op,
      ...(op === "nodata" ? {} : { threshold: number("threshold") }),
      forMs: Math.round((number("forSeconds") ?? 0) * 1000),
    };
    const status = this.elements.form.querySelector<HTMLElement>("output");
    try {
      await fetchJson(this.base, this.options.token, { method: "POST", json: rule });
      this.elements.form.reset();
      if (status) status.textContent = `Added "${rule.name}".`;
      await this.refresh();
    } catch (error) {
      if (status) status.textContent = (error as Error).message;
    }
  }

  private async remove(rule: AlertRule): Promise<void> {
    await fetchJson(`${this.base}/${rule.id}`, this.options.token, { method: "DELETE" });
    await this.refresh();
  }
}
