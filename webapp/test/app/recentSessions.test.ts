import { describe, expect, it } from "vitest";
import { RECENT_KEY, RECENT_LIMIT, RecentSessions } from "../../src/app/recentSessions";

class MemoryStorage {
  data = new Map<string, string>();
  getItem(key: string): string | null {
    return this.data.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.data.set(key, value);
  }
}

describe("RecentSessions", () => {
  it("keeps the most recent first, without duplicates, bounded", () => {
    const recent = new RecentSessions(new MemoryStorage());
    recent.add("a", "a.mp4", 1);
    recent.add("b", "b.mp4", 2);
    recent.add("a", "a.mp4", 3);
    expect(recent.list().map((s) => s.id)).toEqual(["a", "b"]);
    for (let i = 0; i < 20; i++) recent.add(`x${i}`, "x.mp4", 10 + i);
    expect(recent.list()).toHaveLength(RECENT_LIMIT);
  });

  it("removes sessions the server no longer knows, keeps them when it cannot tell", async () => {
    const recent = new RecentSessions(new MemoryStorage());
    recent.add("dead", "d.mp4");
    recent.add("alive", "a.mp4");
    recent.add("unknown", "u.mp4");
    const left = await recent.validate(async (id) => {
      if (id === "unknown") throw new Error("offline");
      return id === "alive";
    });
    expect(left.map((s) => s.id).sort()).toEqual(["alive", "unknown"]);
  });

  it("survives garbage in storage and no storage at all", () => {
    const storage = new MemoryStorage();
    storage.setItem(RECENT_KEY, "{not json");
    expect(new RecentSessions(storage).list()).toEqual([]);
    storage.setItem(RECENT_KEY, JSON.stringify([{ id: 1 }, { id: "ok", filename: "f", openedAt: 1 }]));
    expect(new RecentSessions(storage).list().map((s) => s.id)).toEqual(["ok"]);
    const none = new RecentSessions(null);
    none.add("a", "b");
    expect(none.list()).toEqual([]);
  });
});
