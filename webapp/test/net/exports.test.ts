import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError } from "../../src/net/api";
import { deleteExport, listExports, startExport, watchExport } from "../../src/net/exports";
import type { ExportJobInfo } from "../../src/net/protocol";

const info = (state: ExportJobInfo["state"], frames_done = 0): ExportJobInfo => ({
  id: "j1", session_id: "s1", format: "npz", start: 0, end: 4, options: {}, state, progress: frames_done / 4,
  frames_done, frames_total: 4, fps: 0, eta_s: null, error: null, file_name: "e2e.depth.npz", size_bytes: null,
  created_at: 0, finished_at: null, url: "/api/sessions/s1/exports/j1",
  file_url: state === "done" ? "/api/sessions/s1/exports/j1/file" : null, events_url: "/api/sessions/s1/exports/j1/events",
});

interface Call {
  url: string;
  init: RequestInit | undefined;
}

function stubFetch(status: number, body: unknown): Call[] {
  const calls: Call[] = [];
  vi.stubGlobal("fetch", (url: string, init?: RequestInit) => {
    calls.push({ url, init });
    const text = typeof body === "string" ? body : JSON.stringify(body);
    return Promise.resolve(new Response(status === 204 ? null : text, { status }));
  });
  return calls;
}

/** An EventSource the test drives: `emit` a job event, `fail` as a refused stream. */
class FakeEventSource {
  static readonly CLOSED = 2;
  static last: FakeEventSource | null = null;
  readyState = 1;
  closed = false;
  private readonly listeners = new Map<string, Array<(event: MessageEvent<string>) => void>>();
  constructor(readonly url: string) {
    FakeEventSource.last = this;
  }
  addEventListener(type: string, fn: (event: MessageEvent<string>) => void): void {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), fn]);
  }
  close(): void {
    this.closed = true;
    this.readyState = FakeEventSource.CLOSED;
  }
  emit(data: string): void {
    for (const fn of this.listeners.get("job") ?? []) fn(new MessageEvent("job", { data }));
  }
  fail(readyState: number): void {
    this.readyState = readyState;
    for (const fn of this.listeners.get("error") ?? []) fn(new MessageEvent("error"));
  }
}

afterEach(() => {
  vi.unstubAllGlobals();
});

describe("export REST calls", () => {
  it("POSTs the request as JSON and returns the job", async () => {
    const calls = stubFetch(202, info("queued"));
    const job = await startExport("s 1", { format: "npz", start: 2, end: 6, options: { dtype: "float16" } });
    expect(job.id).toBe("j1");
    expect(calls[0]?.url).toBe("/api/sessions/s%201/exports");
    expect(calls[0]?.init?.method).toBe("POST");
    expect(JSON.parse(String(calls[0]?.init?.body))).toEqual({ format: "npz", start: 2, end: 6, options: { dtype: "float16" } });
  });

  it("turns a refusal into an ApiError with the server's sentence", async () => {
    stubFetch(422, { error: { code: "bad_range", message: "frames 0..120" } });
    const error = await startExport("s1", { format: "npz", start: 200 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe("bad_range");
    expect((error as ApiError).message).toBe("frames 0..120");
  });

  it("lists a session's jobs", async () => {
    stubFetch(200, { jobs: [info("done"), info("running")] });
    expect((await listExports("s1")).map((j) => j.state)).toEqual(["done", "running"]);
  });

  it("DELETEs a job; one already gone is fine, a server error is not", async () => {
    const calls = stubFetch(204, "");
    await deleteExport(info("running"));
    expect(calls[0]).toMatchObject({ url: "/api/sessions/s1/exports/j1", init: { method: "DELETE" } });
    stubFetch(404, { error: { code: "unknown_export", message: "No such export." } });
    await expect(deleteExport(info("running"))).resolves.toBeUndefined();
    stubFetch(500, "");
    await expect(deleteExport(info("running"))).rejects.toBeInstanceOf(ApiError);
  });
});

describe("following a job's events", () => {
  it("passes every job event on and closes the stream once the job is finished", () => {
    vi.stubGlobal("EventSource", FakeEventSource);
    const seen: string[] = [];
    const lost = vi.fn();
    watchExport(info("queued"), (job) => seen.push(`${job.state} ${job.frames_done}`), lost);
    const source = FakeEventSource.last as FakeEventSource;
    expect(source.url).toBe("/api/sessions/s1/exports/j1/events");
    source.emit(JSON.stringify(info("running", 1)));
    source.emit("{not json");
    source.emit(JSON.stringify(info("running", 3)));
    expect(source.closed).toBe(false);
    source.emit(JSON.stringify(info("done", 4)));
    expect(source.closed).toBe(true);
    source.emit(JSON.stringify(info("running", 2))); // nothing after the end
    source.fail(FakeEventSource.CLOSED);
    expect(seen).toEqual(["running 1", "running 3", "done 4"]);
    expect(lost).not.toHaveBeenCalled();
  });

  it("reports a refused stream once, and lets EventSource retry a dropped one", () => {
    vi.stubGlobal("EventSource", FakeEventSource);
    const lost = vi.fn();
    const watch = watchExport(info("running"), () => undefined, lost);
    const source = FakeEventSource.last as FakeEventSource;
    source.fail(0); // CONNECTING: the browser reconnects by itself
    expect(lost).not.toHaveBeenCalled();
    source.fail(FakeEventSource.CLOSED);
    source.fail(FakeEventSource.CLOSED);
    expect(lost).toHaveBeenCalledTimes(1);
    watch.close();
    expect(source.closed).toBe(true);
  });
});
