import { describe, expect, it } from "vitest";
import { ReconnectPolicy } from "../../src/net/backoff";
import { CloseCode, PROTOCOL_VERSION } from "../../src/net/protocol";
import { SocketLoop, type SocketLike } from "../../src/net/socketLoop";
import type { FromWorker, FrameReport, StateReport } from "../../src/net/workerMessages";
import { bufferOf, FIXTURE_FRAMES } from "../depthFrameFixture";

class FakeSocket implements SocketLike {
  binaryType: BinaryType = "blob";
  readyState = 0;
  onopen: ((ev: Event) => unknown) | null = null;
  onmessage: ((ev: MessageEvent) => unknown) | null = null;
  onclose: ((ev: CloseEvent) => unknown) | null = null;
  onerror: ((ev: Event) => unknown) | null = null;
  sent: string[] = [];
  closedWith: number | null = null;
  constructor(readonly url: string) {}
  send(data: string): void {
    this.sent.push(data);
  }
  close(code?: number): void {
    this.closedWith = code ?? 1005;
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.(new Event("open"));
  }
  message(data: unknown): void {
    this.onmessage?.({ data } as MessageEvent);
  }
  drop(code: number): void {
    this.readyState = 3;
    this.onclose?.({ code, reason: "" } as CloseEvent);
  }
}

function harness() {
  const sockets: FakeSocket[] = [];
  const posted: Array<{ message: FromWorker; transfer: Transferable[] }> = [];
  const timers: Array<{ fn: () => void; ms: number }> = [];
  const loop = new SocketLoop({
    createSocket: (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s;
    },
    post: (message, transfer) => posted.push({ message, transfer }),
    setTimer: (fn, ms) => timers.push({ fn, ms }),
    clearTimer: () => undefined,
    policy: new ReconnectPolicy({ initialMs: 100, maxMs: 1000, jitter: 0 }),
  });
  const states = () => posted.map((p) => p.message).filter((m): m is StateReport => m.kind === "state");
  return { loop, sockets, posted, timers, states };
}

const hello = JSON.stringify({ type: "hello", protocol_version: PROTOCOL_VERSION });

describe("SocketLoop", () => {
  it("reconnects with growing delays, resets after a hello, and stops on 4404", () => {
    const { loop, sockets, timers, states } = harness();
    loop.connect(`ws://x/api/sessions/a/stream?v=${PROTOCOL_VERSION}`);
    expect(sockets).toHaveLength(1);
    sockets[0]!.drop(1006); // server down
    expect(timers.map((t) => t.ms)).toEqual([100]);
    timers[0]!.fn();
    sockets[1]!.drop(1006);
    expect(timers.map((t) => t.ms)).toEqual([100, 200]);
    timers[1]!.fn();
    sockets[2]!.open();
    sockets[2]!.message(hello); // success: backoff resets
    sockets[2]!.drop(CloseCode.SERVICE_RESTART);
    expect(timers[2]!.ms).toBe(100);
    timers[2]!.fn();
    sockets[3]!.drop(CloseCode.UNKNOWN_SESSION); // the session is gone: no more attempts
    expect(timers).toHaveLength(3);
    const last = states().at(-1)!;
    expect(last).toMatchObject({ state: "closed", code: 4404, retryInMs: null, reconnects: 3 });
  });

  it("does not reconnect after 1002 or a close by the client", () => {
    const a = harness();
    a.loop.connect("ws://x");
    a.sockets[0]!.drop(CloseCode.PROTOCOL_MISMATCH);
    expect(a.timers).toHaveLength(0);
    const b = harness();
    b.loop.connect("ws://x");
    b.sockets[0]!.open();
    b.loop.close();
    expect(b.sockets[0]!.closedWith).toBe(CloseCode.NORMAL);
    expect(b.timers).toHaveLength(0);
  });

  it("sends JSON only while open", () => {
    const { loop, sockets } = harness();
    loop.connect("ws://x");
    expect(loop.send({ type: "ping", t: 1 })).toBe(false);
    sockets[0]!.open();
    expect(loop.send({ type: "playhead", time_s: 0, rate: 1, paused: false })).toBe(true);
    expect(JSON.parse(sockets[0]!.sent[0]!)).toEqual({ type: "playhead", time_s: 0, rate: 1, paused: false });
  });

  it("decodes binary frames (48- and 56-byte headers) and transfers their buffers", async () => {
    const { loop, sockets, posted } = harness();
    loop.connect("ws://x");
    sockets[0]!.open();
    for (const f of FIXTURE_FRAMES) sockets[0]!.message(bufferOf(f));
    sockets[0]!.message(new ArrayBuffer(10));
    await new Promise((r) => setTimeout(r, 50));
    const frames = posted.filter((p) => p.message.kind === "frame");
    expect(frames).toHaveLength(FIXTURE_FRAMES.length);
    for (const { message, transfer } of frames) {
      const m = message as FrameReport;
      const expected = FIXTURE_FRAMES.find((f) => f.header.frame_index === m.header.frame_index)!;
      expect(transfer).toEqual([m.buffer]);
      const samples = new Uint16Array(m.buffer, m.byteOffset, m.header.width * m.header.height);
      expect(Array.from(samples)).toEqual(expected.samples);
    }
    expect(posted.filter((p) => p.message.kind === "bad_frame")).toHaveLength(1);
  });
});
