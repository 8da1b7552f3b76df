import { describe, expect, it } from "vitest";
import { HIDDEN_MAX_FPS, paceWithVisibility } from "../../dashboard/src/visibility-pace.ts";

/** The part of `document` pacing uses: `hidden` and its change event. */
class FakeDocument extends EventTarget {
  hidden = false;
  set(hidden: boolean): void {
    this.hidden = hidden;
    this.dispatchEvent(new Event("visibilitychange"));
  }
}

describe("pacing with the tab's visibility", () => {
  it("asks for a slow pace while hidden and every frame again when visible, once per change", () => {
    const sent: unknown[] = [];
    const document = new FakeDocument();
    const onOpen = paceWithVisibility((text) => sent.push(JSON.parse(text)), document);
    onOpen();
    expect(sent).toEqual([]);
    document.set(true);
    document.set(true);
    document.set(false);
    expect(sent).toEqual([
      { type: "pace", maxFps: HIDDEN_MAX_FPS },
      { type: "pace", maxFps: null },
    ]);
  });

  it("asks again on a new connection opened while hidden (it starts at full pace)", () => {
    const sent: unknown[] = [];
    const document = new FakeDocument();
    const onOpen = paceWithVisibility((text) => sent.push(JSON.parse(text)), document);
    document.set(true);
    onOpen();
    expect(sent).toEqual([
      { type: "pace", maxFps: HIDDEN_MAX_FPS },
      { type: "pace", maxFps: HIDDEN_MAX_FPS },
    ]);
  });
});
