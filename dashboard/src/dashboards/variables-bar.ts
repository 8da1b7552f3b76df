import { ALL_VALUE, type Variable } from "../../../worker/protocol/dashboards.ts";
import type { VariableValue } from "../../../worker/protocol/interpolate.ts";

/**
 * A control per variable (constants are not shown): a select for one value, a list of checkboxes for multi, with
 * All first where the variable includes it. `onChange` hears the variable's new selection.
 */
export function drawVariablesBar(
  bar: HTMLElement,
  variables: readonly Variable[],
  values: Readonly<Record<string, VariableValue>>,
  offered: ReadonlyMap<string, string[]>,
  onChange: (name: string, selected: string[]) => void,
): void {
  const controls = variables
    .filter((variable) => variable.type !== "constant")
    .map((variable) => {
      const options = offered.get(variable.name) ?? [];
      const value = values[variable.name];
      const chosen = new Set(value?.values ?? []);
      const includeAll = "includeAll" in variable && variable.includeAll;
      // All: its allValue stands in, or every option is chosen.
      const isAll =
        includeAll &&
        value !== undefined &&
        (value.allValue !== undefined || (options.length > 1 && value.values.length === options.length));
      const label = document.createElement("label");
      label.className = "variable";
      label.dataset.testid = `variable-${variable.name}`;
      const name = document.createElement("span");
      name.textContent = variable.label || variable.name;
      label.append(name);
      const multi = "multi" in variable && variable.multi;
      const choices = [
        ...(includeAll ? [{ value: ALL_VALUE, text: "All" }] : []),
        ...options.map((o) => ({ value: o, text: o })),
      ];
      if (!multi) {
        const select = document.createElement("select");
        for (const choice of choices) {
          const option = document.createElement("option");
          option.value = choice.value;
          option.textContent = choice.text;
          option.selected = choice.value === ALL_VALUE ? isAll : !isAll && chosen.has(choice.value);
          select.append(option);
        }
        select.addEventListener("change", () => onChange(variable.name, [select.value]));
        label.append(select);
        return label;
      }
      const menu = document.createElement("details");
      menu.className = "variable-multi";
      const summary = document.createElement("summary");
      summary.textContent = isAll ? "All" : [...chosen].join(" + ") || "None";
      menu.append(summary);
      const boxes: HTMLInputElement[] = [];
      for (const choice of choices) {
        const row = document.createElement("label");
        const box = document.createElement("input");
        box.type = "checkbox";
        box.value = choice.value;
        box.checked = choice.value === ALL_VALUE ? isAll : !isAll && chosen.has(choice.value);
        box.addEventListener("change", () => {
          if (box.value === ALL_VALUE) return onChange(variable.name, [ALL_VALUE]);
          const picked = boxes
            .filter((other) => other.checked && other.value !== ALL_VALUE)
            .map((other) => other.value);
          onChange(variable.name, picked.length > 0 ? picked : [ALL_VALUE]);
        });
        boxes.push(box);
        row.append(box, choice.text);
        menu.append(row);
      }
      label.append(menu);
      return label;
    });
  bar.replaceChildren(...controls);
  bar.hidden = controls.length === 0;
}
