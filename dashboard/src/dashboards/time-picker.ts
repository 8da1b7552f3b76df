import {
  describeRange,
  parseTimePoint,
  type RangeText,
  REFRESH_CHOICES,
  RELATIVE_RANGES,
} from "./time-expr.ts";

export interface TimePickerHooks {
  range: (range: RangeText) => void;
  zoomOut: () => void;
  /** Moves the range by a fraction of its length (−½: earlier). */
  shift: (fraction: number) => void;
  back: () => void;
  refreshEvery: (refresh: string) => void;
  refreshNow: () => void;
}

const el = <K extends keyof HTMLElementTagNameMap>(tag: K, text = "", testid = "") => {
  const element = document.createElement(tag);
  element.textContent = text;
  if (testid) element.dataset.testid = testid;
  return element;
};

/**
 * The time controls, as Grafana's: a range button opening relative choices and an absolute from/to (each
 * `now-2h`-style or a date), earlier and later by half the range, zoom out (×2), back (the range before the last change), a refresh-every choice and
 * refresh now.
 */
export class TimePicker {
  readonly element: HTMLElement;
  private readonly label: HTMLButtonElement;
  private readonly from: HTMLInputElement;
  private readonly to: HTMLInputElement;
  private readonly refresh: HTMLSelectElement;
  private readonly popover: HTMLElement;
  readonly backButton: HTMLButtonElement;

  constructor(hooks: TimePickerHooks) {
    this.element = el("div");
    this.element.className = "time-picker";
    this.backButton = el("button", "↶", "time-back");
    this.backButton.title = "Back to the previous range";
    this.backButton.addEventListener("click", hooks.back);
    this.label = el("button", "", "time-range");
    this.label.addEventListener("click", () => {
      this.popover.hidden = !this.popover.hidden;
    });
    const zoom = el("button", "−", "time-zoom-out");
    zoom.title = "Zoom out (twice the range)";
    zoom.addEventListener("click", hooks.zoomOut);
    const earlier = el("button", "‹", "time-earlier");
    earlier.title = "Earlier by half the range";
    earlier.addEventListener("click", () => hooks.shift(-0.5));
    const later = el("button", "›", "time-later");
    later.title = "Later by half the range";
    later.addEventListener("click", () => hooks.shift(0.5));
    this.popover = el("div", "", "time-popover");
    this.popover.className = "time-popover";
    this.popover.hidden = true;
    const list = el("ul");
    for (const choice of RELATIVE_RANGES) {
      const item = el("li");
      const pick = el("button", choice.label, `time-${choice.from}`);
      pick.addEventListener("click", () => {
        this.popover.hidden = true;
        hooks.range({ from: choice.from, to: "now" });
      });
      item.append(pick);
      list.append(item);
    }
    const form = el("form");
    form.className = "time-absolute";
    this.from = el("input", "", "time-from");
    this.to = el("input", "", "time-to");
    for (const [input, name] of [
      [this.from, "From"],
      [this.to, "To"],
    ] as const) {
      input.setAttribute("aria-label", name);
      input.placeholder = name === "From" ? "now-6h or 2026-12-03 10:00" : "now";
      const label = el("label", name);
      label.append(input);
      form.append(label);
    }
    const apply = el("button", "Apply time range", "time-apply");
    apply.type = "submit";
    const problem = el("output");
    form.append(apply, problem);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const range = { from: absoluteOrRelative(this.from.value), to: absoluteOrRelative(this.to.value) };
      const now = Date.now();
      const from = parseTimePoint(range.from, now);
      const to = parseTimePoint(range.to, now, true);
      if (from === null || to === null || from >= to) {
        problem.textContent = "From must be a time before To";
        return;
      }
      problem.textContent = "";
      this.popover.hidden = true;
      hooks.range(range);
    });
    this.popover.append(list, form);
    this.refresh = el("select", "", "refresh-every");
    this.refresh.setAttribute("aria-label", "Refresh every");
    for (const choice of REFRESH_CHOICES) {
      const option = el("option", choice === "" ? "Off" : choice);
      option.value = choice;
      this.refresh.append(option);
    }
    this.refresh.addEventListener("change", () => hooks.refreshEvery(this.refresh.value));
    const now = el("button", "⟳", "refresh-now");
    now.title = "Refresh now";
    now.addEventListener("click", hooks.refreshNow);
    const anchor = el("span");
    anchor.className = "time-anchor";
    anchor.append(this.label, this.popover);
    this.element.append(this.backButton, earlier, anchor, later, zoom, now, this.refresh);
  }

  show(range: RangeText, refresh: string, canGoBack: boolean): void {
    this.label.textContent = describeRange(range, Date.now());
    this.from.value = readable(range.from);
    this.to.value = readable(range.to);
    if (![...this.refresh.options].some((option) => option.value === refresh)) {
      const option = el("option", refresh);
      option.value = refresh;
      this.refresh.append(option);
    }
    this.refresh.value = refresh;
    this.backButton.disabled = !canGoBack;
  }
}

/** A relative time as written; a date (as typed or as epoch ms) as epoch ms, as the URL keeps it. */
function absoluteOrRelative(text: string): string {
  const trimmed = text.trim();
  if (trimmed.startsWith("now")) return trimmed;
  const ms = parseTimePoint(trimmed.replace(" ", "T"), Date.now());
  return ms === null ? trimmed : String(ms);
}

/** Epoch ms in the URL shown as a local date a person can edit. */
function readable(text: string): string {
  if (!/^\d{10,15}$/.test(text)) return text;
  const date = new Date(Number(text));
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}
