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
  members: Set<Member>;
  filter: SeriesFilter;
  wants(def: SeriesDef): boolean;
}

function groupKey(selectors: string[]): string {
  return JSON.stringify([...new Set(selectors)].sort());
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
    return this.groups.get(groupKey(selectors)) ?? this.create(selectors);
  }

  join(member: Member, selectors: string[]): SubscriptionGroup<Member> {
    const key = groupKey(selectors);
    let group = this.groups.get(key);
    if (!group) {
      group = this.create(selectors);
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
    if (group.members.size === 0) this.groups.delete(groupKey(group.selectors));
  }

  /** New series join the filters of the groups that want them. */
  addSeries(defs: SeriesDef[]): void {
    for (const group of this.groups.values()) this.extendFilter(group, defs);
  }

  /** The series a group wants. */
  matching(group: SubscriptionGroup<Member>): SeriesDef[] {
    return this.catalog.all().filter((def) => group.wants(def));
  }

  private create(selectors: string[]): SubscriptionGroup<Member> {
    const unique = JSON.parse(groupKey(selectors)) as string[];
    const parsed = parsedSelectors(unique);
    const group: SubscriptionGroup<Member> = {
      selectors: unique,
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
