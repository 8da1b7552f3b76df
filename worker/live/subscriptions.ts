import {
  ALL_SERIES,
  parseSelector,
  type Selector,
  type SeriesDef,
  selectorMatches,
} from "../protocol/index.ts";
import type { SeriesFilter } from "./frame-builder.ts";

/** Where subscriptions look series up (a hub's or relay's mirror of the board). */
export interface SeriesSource {
  all(): SeriesDef[];
}

/** Viewers with the same selectors form a group and share one encoded frame per tick. */
export interface SubscriptionGroup<Member> {
  /** As the viewers wrote them (and as socket attachments keep them). */
  selectors: string[];
  /** The least time between the group's frames (ms; 0: every flush). Viewers of another pace are another group. */
  paceMs: number;
  members: Set<Member>;
  filter: SeriesFilter;
  wants(def: SeriesDef): boolean;
}

function uniqueSelectors(selectors: string[]): string[] {
  return [...new Set(selectors)].sort();
}

function groupKey(selectors: string[], paceMs: number): string {
  return JSON.stringify([paceMs, ...uniqueSelectors(selectors)]);
}

/** Selectors checked where they came in (the Worker, `parseClientMessage`), parsed here. */
function parsedSelectors(selectors: string[]): Selector[] {
  return selectors.map((text) => parseSelector(text) as Selector);
}

/** Viewers grouped by subscription, with each group's set of wanted series ids kept current. */
export class Subscriptions<Member> {
  private readonly catalog: SeriesSource;
  private readonly groups = new Map<string, SubscriptionGroup<Member>>();
  private readonly groupOf = new Map<Member, SubscriptionGroup<Member>>();

  constructor(catalog: SeriesSource) {
    this.catalog = catalog;
  }

  get size(): number {
    return this.groupOf.size;
  }

  all(): IterableIterator<SubscriptionGroup<Member>> {
    return this.groups.values();
  }

  of(member: Member): SubscriptionGroup<Member> | undefined {
    return this.groupOf.get(member);
  }

  /** The live group for these selectors, or a throwaway one when nobody holds them (polls). */
  lookup(selectors: string[]): SubscriptionGroup<Member> {
    return this.groups.get(groupKey(selectors, 0)) ?? this.create(selectors, 0);
  }

  /** The group a member joining with these selectors and pace would join, if it exists. */
  find(selectors: string[], paceMs: number): SubscriptionGroup<Member> | undefined {
    return this.groups.get(groupKey(selectors, paceMs));
  }

  join(member: Member, selectors: string[], paceMs = 0): SubscriptionGroup<Member> {
    const key = groupKey(selectors, paceMs);
    let group = this.groups.get(key);
    if (!group) {
      group = this.create(selectors, paceMs);
      this.groups.set(key, group);
    }
    group.members.add(member);
    this.groupOf.set(member, group);
    return group;
  }

  leave(member: Member): void {
    const group = this.groupOf.get(member);
    if (!group) return;
    this.groupOf.delete(member);
    group.members.delete(member);
    if (group.members.size === 0) this.groups.delete(groupKey(group.selectors, group.paceMs));
  }

  /** New series join the filters of the groups that want them. */
  addSeries(defs: SeriesDef[]): void {
    for (const group of this.groups.values()) this.extendFilter(group, defs);
  }

  /** The series a group wants. */
  matching(group: SubscriptionGroup<Member>): SeriesDef[] {
    return this.catalog.all().filter((def) => group.wants(def));
  }

  private create(selectors: string[], paceMs: number): SubscriptionGroup<Member> {
    const unique = uniqueSelectors(selectors);
    const parsed = parsedSelectors(unique);
    const group: SubscriptionGroup<Member> = {
      selectors: unique,
      paceMs,
      members: new Set(),
      filter: unique.includes(ALL_SERIES) ? null : new Set(),
      wants: (def) => parsed.some((selector) => selectorMatches(selector, def)),
    };
    this.extendFilter(group, this.catalog.all());
    return group;
  }

  private extendFilter(group: SubscriptionGroup<Member>, defs: SeriesDef[]): void {
    if (group.filter === null) return;
    const filter = group.filter as Set<number>;
    for (const def of defs) if (group.wants(def)) filter.add(def.id);
  }
}
