import { describe, expect, it } from "vitest";
import { ReconnectPolicy } from "../../src/net/backoff";
import { CloseCode, PROTOCOL_VERSION } from "../../src/net/protocol";
import { SocketLoop, type SocketLike } from "../../src/net/socketLoop";
import { packVideoFrame } from "../../src/net/videoFrame";
import type { FromWorker, FrameReport, PictureReport, StateReport } from "../../src/net/workerMessages";
import { bufferOf, FIXTURE_FRAMES } from "../depthFrameFixture";
import { VIDEO_FIXTURE_FRAMES, videoBufferOf } from "../videoFrameFixture";

class FakeSocket implements SocketLike {
  binaryType: BinaryType = "blob";
  readyState = 0;
  onopen: ((ev: Event) => unknown) | null = null;
  onmessage: ((ev: MessageEvent) => unknown) | null = null;
  onclose: ((ev: CloseEvent) => unknown) | null = null;
  onerror: ((ev: Event) => unknown) | null = null;
  sent: string[] = [];
  sentBinary: ArrayBuffer[] = [];
  closedWith: number | null = null;
  constructor(readonly url: string) {}
  send(data: string | ArrayBuffer): void {
    if (typeof data === "string") this.sent.push(data);
    else this.sentBinary.push(data);
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

/** What the fake decoder was given: the JPEG's bytes and type, as a stand-in bitmap. */
interface FakeBitmap {
  bytes: number[];
  type: string;
  close(): void;
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
    decodePicture: async (jpeg) => {
      const bytes = Array.from(new Uint8Array(await jpeg.arrayBuffer()));
      if (bytes[0] !== 0xff) throw new Error("not a JPEG");
      const fake: FakeBitmap = { bytes, type: jpeg.type, close: () => undefined };
      return fake as unknown as ImageBitmap;
    },
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

  it("hands live pictures (DCVF) to the decoder and depth (DCDF) to the depth decoder", async () => {
    const { loop, sockets, posted } = harness();
    loop.connect("ws://x");
    sockets[0]!.open();
    const jpeg = new Uint8Array([0xff, 0xd8, 9, 8, 7, 0xff, 0xd9]);
    sockets[0]!.message(packVideoFrame({ frame_index: 12, pts_us: 400_000, capture_us: 1_796_000_000_000_000, width: 64, height: 48 }, jpeg));
    sockets[0]!.message(bufferOf(FIXTURE_FRAMES[0]!));
    sockets[0]!.message(packVideoFrame({ frame_index: 13, pts_us: 0, capture_us: 0, width: 64, height: 48 }, new Uint8Array([1, 2])));
    sockets[0]!.message(videoBufferOf(VIDEO_FIXTURE_FRAMES[0]!).slice(0, 45)); // cut short
    await new Promise((r) => setTimeout(r, 50));
    const pictures = posted.filter((p) => p.message.kind === "picture");
    expect(pictures).toHaveLength(2);
    const ok = pictures[0]!.message as PictureReport;
    expect(ok.header).toMatchObject({ frame_index: 12, capture_us: 1_796_000_000_000_000, width: 64, height: 48, payload_bytes: 7 });
    const bitmap = ok.bitmap as unknown as FakeBitmap;
    expect(bitmap.bytes).toEqual(Array.from(jpeg)); // the payload only, not the header
    expect(bitmap.type).toBe("image/jpeg");
    expect(pictures[0]!.transfer).toEqual([ok.bitmap]);
    // an undecodable JPEG still reports its header: it answers the frame a sender sent
    expect(pictures[1]!.message).toMatchObject({ header: { frame_index: 13 }, bitmap: null, error: expect.stringMatching(/not a JPEG/) });
    expect(posted.filter((p) => p.message.kind === "frame")).toHaveLength(1);
    expect(posted.filter((p) => p.message.kind === "bad_frame").map((p) => (p.message as { error: string }).error)).toEqual([
      expect.stringMatching(/payload_bytes says/),
    ]);
  });

  it("sends binary video frames only while open", () => {
    const { loop, sockets } = harness();
    const frame = packVideoFrame({ frame_index: 0, pts_us: 0, capture_us: 1, width: 16, height: 16 }, new Uint8Array(3));
    loop.connect("ws://x");
    expect(loop.sendBinary(frame)).toBe(false);
    sockets[0]!.open();
    expect(loop.sendBinary(frame)).toBe(true);
    expect(sockets[0]!.sentBinary).toEqual([frame]);
  });
});
