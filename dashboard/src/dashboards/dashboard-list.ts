import type { Dashboard } from "../../../worker/protocol/dashboards.ts";
import type { BoardApi } from "./board-api.ts";
import { dashboardLink, uidFor } from "./view-state.ts";

/**
 * The board's dashboards as links, the live view first (the board's default dashboard); with an admin token, a
 * form that creates an empty dashboard and opens it.
 */
export async function drawDashboardList(
  list: HTMLElement,
  api: BoardApi,
  board: string,
  admin: boolean,
): Promise<void> {
  const live = document.createElement("li");
  const liveLink = document.createElement("a");
  liveLink.href = `#${new URLSearchParams({ board, token: api.token })}`;
  liveLink.textContent = "Live view (default)";
  live.append(liveLink);
  const items = (await api.dashboards()).map((summary) => {
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.href = dashboardLink(board, api.token, summary.uid);
    link.textContent = summary.title;
    link.dataset.testid = "dashboard-link";
    link.dataset.uid = summary.uid;
    item.append(link);
    for (const tag of summary.tags) {
      const chip = document.createElement("span");
      chip.className = "tag";
      chip.textContent = tag;
      item.append(chip);
    }
    return item;
  });
  list.replaceChildren(live, ...items);
  if (!admin) return;
  const form = document.createElement("form");
  form.className = "new-dashboard";
  const title = document.createElement("input");
  title.placeholder = "New dashboard title";
  title.required = true;
  title.dataset.testid = "new-dashboard-title";
  const create = document.createElement("button");
  create.textContent = "Create";
  create.dataset.testid = "new-dashboard";
  const problem = document.createElement("output");
  form.append(title, create, problem);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const dashboard: Dashboard = {
      uid: uidFor(title.value),
      title: title.value.trim(),
      tags: [],
      time: { from: "now-1h", to: "now" },
      refresh: "",
      variables: [],
      panels: [],
      annotations: [],
      version: 0,
    };
    try {
      const saved = await api.save(dashboard);
      location.hash = dashboardLink(board, api.token, saved.uid);
    } catch (error) {
      problem.textContent = (error as Error).message;
    }
  });
  const item = document.createElement("li");
  item.append(form);
  list.append(item);
}
