/**
 * Recently opened sessions (id, filename), kept in localStorage so a reload does not lose
 * the video. Entries the server no longer knows (404) are removed when validated.
 */

export interface RecentSession {
  id: string;
  filename: string;
  /** ms since the epoch, last opened. */
  openedAt: number;
}

export const RECENT_KEY = "depthcast.recentSessions";
export const RECENT_LIMIT = 10;

type StorageLike = Pick<Storage, "getItem" | "setItem">;

function isRecent(value: unknown): value is RecentSession {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.id === "string" && v.id !== "" && typeof v.filename === "string" && typeof v.openedAt === "number";
}

export class RecentSessions {
  constructor(private readonly storage: StorageLike | null) {}

  list(): RecentSession[] {
    if (this.storage === null) return [];
    try {
      const parsed = JSON.parse(this.storage.getItem(RECENT_KEY) ?? "[]") as unknown;
      return Array.isArray(parsed) ? parsed.filter(isRecent) : [];
    } catch {
      return [];
    }
  }

  /** Put `id` first (replacing an older entry with the same id). */
  add(id: string, filename: string, now = Date.now()): void {
    const rest = this.list().filter((s) => s.id !== id);
    this.save([{ id, filename, openedAt: now }, ...rest].slice(0, RECENT_LIMIT));
  }

  remove(id: string): void {
    this.save(this.list().filter((s) => s.id !== id));
  }

  /**
   * Check every entry with `exists` (GET /api/sessions/{id}); drop those it says are gone
   * (false). Errors (server unreachable) keep the entry.
   */
  async validate(exists: (id: string) => Promise<boolean>): Promise<RecentSession[]> {
    const entries = this.list();
    const verdicts = await Promise.all(
      entries.map(async (s) => {
        try {
          return await exists(s.id);
        } catch {
          return true;
        }
      }),
    );
    const gone = new Set(entries.filter((_, i) => !verdicts[i]).map((s) => s.id));
    if (gone.size > 0) this.save(this.list().filter((s) => !gone.has(s.id)));
    return this.list();
  }

  private save(entries: RecentSession[]): void {
    if (this.storage === null) return;
    try {
      this.storage.setItem(RECENT_KEY, JSON.stringify(entries));
    } catch {
      // storage full or disabled: the list is a convenience
    }
  }
}

export function browserStorage(): StorageLike | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}
