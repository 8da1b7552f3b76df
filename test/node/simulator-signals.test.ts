import { describe, expect, it } from "vitest";
import {
  initialSignals,
  nextCounter,
  nextCpu,
  nextHumidity,
  nextSignals,
  nextTemperature,
  readings,
} from "../../scripts/signals.ts";
import { seededRandom } from "../seeded-random.ts";

function run(ticks: number, seed = 1) {
  const random = seededRandom(seed);
  let state = initialSignals(random);
  const history = [state];
  for (let i = 0; i < ticks; i++) {
    state = nextSignals(state, random);
    history.push(state);
  }
  return history;
}

describe("simulated signals", () => {
  it("keep temperature within 3 °C drift plus noise of its base, moving slowly", () => {
    const history = run(5000);
    for (let i = 1; i < history.length; i++) {
      const { temperature, temperatureBase } = history[i]!;
      expect(Math.abs(temperature - temperatureBase)).toBeLessThanOrEqual(3.15);
      expect(Math.abs(temperature - history[i - 1]!.temperature)).toBeLessThan(0.5);
    }
  });

  it("pull the temperature drift back towards zero", () => {
    expect(Math.abs(nextTemperature(20, 2.5, () => 0.5).drift)).toBeLessThan(2.5);
    expect(nextTemperature(20, 0, () => 0.5)).toEqual({ drift: 0, temperature: 20 });
  });

  it("keep CPU load between 0 and 100 % with bursts above 70 %", () => {
    const cpu = run(5000).map((state) => state.cpuPercent);
    for (const value of cpu) {
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThanOrEqual(100);
    }
    expect(cpu.filter((value) => value > 70).length).toBeGreaterThan(50);
    expect(cpu.filter((value) => value < 25).length).toBeGreaterThan(2500);
  });

  it("start a CPU burst on a low draw and count it down to idle", () => {
    const burst = nextCpu(10, 0, () => 0);
    expect(burst.burstTicksLeft).toBe(8);
    expect(nextCpu(90, 1, () => 0.5).burstTicksLeft).toBe(0);
  });

  it("only ever increase the counter, by 1 to 8 per tick", () => {
    expect(nextCounter(10, () => 0)).toBe(11);
    expect(nextCounter(10, () => 0.9999)).toBe(18);
    const totals = run(2000).map((state) => state.requestsTotal);
    for (let i = 1; i < totals.length; i++) expect(totals[i]!).toBeGreaterThan(totals[i - 1]!);
  });

  it("keep humidity within 0–100 %", () => {
    expect(nextHumidity(100, () => 0.9999)).toBeLessThanOrEqual(100);
    expect(nextHumidity(0, () => 0)).toBeGreaterThanOrEqual(0);
    for (const state of run(5000, 7)) {
      expect(state.humidityPercent).toBeGreaterThanOrEqual(0);
      expect(state.humidityPercent).toBeLessThanOrEqual(100);
    }
  });

  it("report four metrics with sensor-like precision", () => {
    const metrics = readings(run(10).at(-1)!);
    expect(Object.keys(metrics)).toEqual(["temp_c", "cpu_pct", "requests_total", "humidity_pct"]);
    expect(Number.isInteger(metrics.requests_total)).toBe(true);
    expect(Math.round(metrics.temp_c! * 100)).toBeCloseTo(metrics.temp_c! * 100, 6);
    expect(Math.round(metrics.cpu_pct! * 10)).toBeCloseTo(metrics.cpu_pct! * 10, 6);
  });

  it("are reproducible from the same random sequence", () => {
    expect(run(100, 3)).toEqual(run(100, 3));
  });
});
