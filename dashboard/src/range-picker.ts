import { RANGES, type TimeRange } from "./time-range.ts";

/** A button per time range in `container`; the chosen one is pressed, and `onSelect` hears of each change. */
export function createRangePicker(
  container: HTMLElement,
  selected: TimeRange,
  onSelect: (range: TimeRange) => void,
): void {
  const buttons = RANGES.map((range) => {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = range.label;
    button.dataset.testid = `range-${range.id}`;
    button.setAttribute("aria-pressed", String(range === selected));
    button.addEventListener("click", () => {
      if (button.getAttribute("aria-pressed") === "true") return;
      for (const other of buttons) other.setAttribute("aria-pressed", String(other === button));
      onSelect(range);
    });
    return button;
  });
  container.append(...buttons);
}
