import type { BoardApi } from "./board-api.ts";

/** How long a shared link's viewer token may live, as offered. */
const TTL_CHOICES: ReadonlyArray<[label: string, seconds: number]> = [
  ["1 hour", 3600],
  ["1 day", 86_400],
  ["7 days", 7 * 86_400],
  ["30 days", 30 * 86_400],
];

/**
 * The share dialog: a link to the dashboard as shown (range and variables in the fragment) that carries a new
 * read-only viewer token of the chosen lifetime, never the sharer's own token. `link(token, lockRange)` builds it.
 */
export function openShareDialog(api: BoardApi, link: (token: string, lockRange: boolean) => string): void {
  const dialog = document.createElement("dialog");
  dialog.className = "share-dialog";
  dialog.dataset.testid = "share-dialog";
  const form = document.createElement("form");
  form.className = "share-form";
  const heading = document.createElement("h2");
  heading.textContent = "Share a read-only link";
  const ttl = document.createElement("select");
  ttl.dataset.testid = "share-ttl";
  for (const [label, seconds] of TTL_CHOICES) {
    const option = document.createElement("option");
    option.value = String(seconds);
    option.textContent = `valid ${label}`;
    ttl.append(option);
  }
  const lock = document.createElement("input");
  lock.type = "checkbox";
  lock.dataset.testid = "share-lock-range";
  const lockLabel = document.createElement("label");
  lockLabel.append(lock, " Lock the time range (an absolute range instead of e.g. the last hour)");
  const create = document.createElement("button");
  create.type = "submit";
  create.textContent = "Create link";
  create.dataset.testid = "share-create";
  const output = document.createElement("input");
  output.readOnly = true;
  output.dataset.testid = "share-link";
  output.hidden = true;
  const status = document.createElement("output");
  status.dataset.testid = "share-status";
  const close = document.createElement("button");
  close.type = "button";
  close.textContent = "Close";
  close.addEventListener("click", () => dialog.close());
  form.append(heading, ttl, lockLabel, create, output, status, close);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const { token, expiresAt } = await api.viewerToken(Number(ttl.value));
      output.value = link(token, lock.checked);
      output.hidden = false;
      output.select();
      await navigator.clipboard?.writeText(output.value).catch(() => {});
      status.textContent = `A viewer token valid until ${new Date(expiresAt).toLocaleString(undefined, { hour12: false })}`;
    } catch (error) {
      status.textContent = `${(error as Error).message} (an admin token mints share links)`;
    }
  });
  dialog.append(form);
  dialog.addEventListener("close", () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
}
