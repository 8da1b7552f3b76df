import { PANEL_TYPES, type Panel, type Target } from "../../../worker/protocol/dashboards.ts";

const el = <K extends keyof HTMLElementTagNameMap>(tag: K, text = "", testid = "") => {
  const element = document.createElement(tag);
  if (text) element.textContent = text;
  if (testid) element.dataset.testid = testid;
  return element;
};

function field(form: HTMLElement, name: string, input: HTMLInputElement | HTMLSelectElement): void {
  const label = el("label", name);
  label.append(input);
  form.append(label);
}

const numberOrUndefined = (text: string) => (text.trim() === "" ? undefined : Number(text));

/**
 * A panel's editor in a modal dialog: title, type, unit, decimals, min and max, and its targets, each a PromQL
 * editor and a legend format. Apply hands back the edited panel; Cancel (or Esc) leaves it as it was.
 */
export async function editPanel(
  panel: Panel,
  prometheus: { url: string; token: string },
  apply: (panel: Panel) => void,
): Promise<void> {
  // CodeMirror is most of the page's code: loaded the first time a panel is edited, not for every viewer.
  const { promqlEditor } = await import("./promql-editor.ts");
  const dialog = el("dialog", "", "panel-editor");
  dialog.className = "panel-editor";
  const form = el("form");
  form.method = "dialog";
  const title = el("input", "", "editor-title");
  title.value = panel.title;
  const type = el("select", "", "editor-type");
  for (const name of PANEL_TYPES) {
    const option = el("option", name);
    option.value = name;
    option.selected = name === panel.type;
    type.append(option);
  }
  const unit = el("input", "", "editor-unit");
  unit.value = panel.unit ?? "";
  unit.placeholder = "short, percent, bytes, s, reqps, celsius…";
  const decimals = el("input", "", "editor-decimals");
  const min = el("input");
  const max = el("input");
  for (const [input, value] of [
    [decimals, panel.decimals],
    [min, panel.min],
    [max, panel.max],
  ] as const) {
    input.type = "number";
    input.step = "any";
    input.value = value === undefined ? "" : String(value);
  }
  const row = el("div");
  row.className = "editor-row";
  field(row, "Title", title);
  field(row, "Type", type);
  field(row, "Unit", unit);
  field(row, "Decimals", decimals);
  field(row, "Min", min);
  field(row, "Max", max);
  const targets: Target[] = panel.targets.map((target) => ({ ...target }));
  const list = el("div");
  list.className = "editor-targets";
  const addTarget = (target: Target) => {
    const item = el("fieldset", "", "editor-target");
    item.append(el("legend", target.refId));
    const expr = el("div");
    expr.className = "editor-expr";
    expr.dataset.testid = "editor-expr";
    promqlEditor(expr, target.expr, prometheus, (text) => {
      target.expr = text;
    });
    const legend = el("input", "", "editor-legend");
    legend.value = target.legendFormat;
    legend.placeholder = "Legend, e.g. {{instance}}";
    legend.addEventListener("input", () => {
      target.legendFormat = legend.value;
    });
    const remove = el("button", "Remove query");
    remove.type = "button";
    remove.addEventListener("click", () => {
      targets.splice(targets.indexOf(target), 1);
      item.remove();
    });
    item.append(expr, legend, remove);
    list.append(item);
  };
  for (const target of targets) addTarget(target);
  const add = el("button", "Add query", "editor-add-target");
  add.type = "button";
  add.addEventListener("click", () => {
    const used = new Set(targets.map((target) => target.refId));
    const refId =
      [..."ABCDEFGHIJKLMNOPQRSTUVWXYZ"].find((letter) => !used.has(letter)) ?? `Q${targets.length}`;
    const target = { refId, expr: "", legendFormat: "" };
    targets.push(target);
    addTarget(target);
  });
  const actions = el("div");
  actions.className = "editor-actions";
  const ok = el("button", "Apply", "editor-apply");
  ok.value = "apply";
  const cancel = el("button", "Cancel", "editor-cancel");
  cancel.value = "cancel";
  actions.append(ok, cancel);
  form.append(el("h2", `Edit panel ${panel.id}`), row, list, add, actions);
  dialog.append(form);
  dialog.addEventListener("close", () => {
    if (dialog.returnValue === "apply") {
      const edited: Panel = {
        ...panel,
        title: title.value,
        type: type.value as Panel["type"],
        targets,
      };
      for (const [key, value] of [
        ["unit", unit.value.trim() || undefined],
        ["decimals", numberOrUndefined(decimals.value)],
        ["min", numberOrUndefined(min.value)],
        ["max", numberOrUndefined(max.value)],
      ] as const) {
        if (value === undefined) delete edited[key];
        else (edited as unknown as Record<string, unknown>)[key] = value;
      }
      apply(edited);
    }
    dialog.remove();
  });
  document.body.append(dialog);
  dialog.showModal();
}
