import {
  type ActiveAlert,
  type AlertEvent,
  type AlertRule,
  labelsCover,
  type PromqlAlertRule,
  parseSelector,
  promqlLabels,
  type Selector,
  type SeriesDef,
  selectorMatches,
  seriesName,
} from "../../worker/protocol/index.ts";

/** An alert transition drawn on a chart: a vertical line at its time, coloured by what the alert became. */
export interface AlertMark {
  at: number;
  state: "pending" | "firing" | "resolved";
}

/** What `GET …/alerts` answers. */
export interface AlertsAnswer {
  rules: AlertRule[];
  promqlRules: PromqlAlertRule[];
  active: ActiveAlert[];
}

/**
 * Whether an alert or transition is about a series: a threshold rule's names the series; a rule file's carries
 * labels, and is about every series that has them all (`up{job="api"} == 0` on a device is about its series).
 */
export function concerns(
  alert: { series: string; labels?: Record<string, string> },
  def: SeriesDef,
): boolean {
  return alert.labels ? labelsCover(alert.labels, promqlLabels(def)) : alert.series === seriesName(def);
}

/** An alert that holds, with its rule's name for display. */
export interface HeldAlert extends ActiveAlert {
  name: string;
}

const key = (rule: string, series: string) => `${rule}\u0000${series}`;

/**
 * The board's alert rules and the alerts that hold, as the dashboard shows them: loaded from the API (on start and
 * after every reconnect, which covers what happened while away) and kept current by live `alert` messages.
 */
export class AlertState {
  private rules: Array<{ rule: AlertRule; selector: Selector | null }> = [];
  private promql: PromqlAlertRule[] = [];
  private readonly held = new Map<string, HeldAlert>();

  /** Replaces everything with an answer of the alerts API. */
  load(answer: AlertsAnswer): void {
    this.rules = answer.rules.map((rule) => {
      const selector = parseSelector(rule.series);
      return { rule, selector: "error" in selector ? null : selector };
    });
    this.promql = answer.promqlRules ?? [];
    this.held.clear();
    for (const alert of answer.active)
      this.held.set(key(alert.rule, alert.series), { ...alert, name: this.nameOf(alert.rule) });
  }

  /** Applies a live transition; returns whether it changed what holds. */
  apply(event: AlertEvent): boolean {
    const name = key(event.rule, event.series);
    if (event.state === "resolved") return this.held.delete(name);
    this.held.set(name, {
      rule: event.rule,
      series: event.series,
      state: event.state,
      since: event.at,
      value: event.value,
      name: event.name,
      ...(event.labels ? { labels: event.labels } : {}),
    });
    return true;
  }

  get ruleList(): AlertRule[] {
    return this.rules.map(({ rule }) => rule);
  }

  /** The rule file's alerting rules (`PUT …/rules` manages them; they are not deleted here). */
  get promqlRules(): PromqlAlertRule[] {
    return this.promql;
  }

  /** Whether an alert fires on a series (threshold rules' on it, or rule file alerts about it). */
  firingOn(def: SeriesDef): boolean {
    for (const alert of this.held.values()) if (alert.state === "firing" && concerns(alert, def)) return true;
    return false;
  }

  /** Firing alerts, oldest first. */
  firing(): HeldAlert[] {
    return [...this.held.values()].filter((a) => a.state === "firing").sort((a, b) => a.since - b.since);
  }

  pending(): HeldAlert[] {
    return [...this.held.values()].filter((a) => a.state === "pending");
  }

  /** The thresholds of the rules watching a series, to draw on its chart. */
  thresholdsFor(def: SeriesDef): number[] {
    const values: number[] = [];
    for (const { rule, selector } of this.rules) {
      if (rule.threshold !== undefined && selector && selectorMatches(selector, def))
        values.push(rule.threshold);
    }
    return values;
  }

  private nameOf(rule: string): string {
    const threshold = this.rules.find((entry) => entry.rule.id === rule)?.rule.name;
    return threshold ?? this.promql.find((entry) => entry.id === rule)?.name ?? rule;
  }
}

/** The transitions among `events` that concern a series, as marks for its chart. */
export function marksFor(events: readonly AlertEvent[], def: SeriesDef): AlertMark[] {
  return events.filter((event) => concerns(event, def)).map(({ at, state }) => ({ at, state }));
}
