import {
  type ActiveAlert,
  type AlertEvent,
  type AlertRule,
  parseSelector,
  type Selector,
  type SeriesDef,
  selectorMatches,
} from "../../worker/protocol/index.ts";

/** What `GET …/alerts` answers. */
export interface AlertsAnswer {
  rules: AlertRule[];
  active: ActiveAlert[];
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
  private readonly held = new Map<string, HeldAlert>();

  /** Replaces everything with an answer of the alerts API. */
  load(answer: AlertsAnswer): void {
    this.rules = answer.rules.map((rule) => {
      const selector = parseSelector(rule.series);
      return { rule, selector: "error" in selector ? null : selector };
    });
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
    });
    return true;
  }

  get ruleList(): AlertRule[] {
    return this.rules.map(({ rule }) => rule);
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
    return this.rules.find((entry) => entry.rule.id === rule)?.rule.name ?? rule;
  }
}
