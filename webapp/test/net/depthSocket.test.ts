import { describe, expect, it } from "vitest";
import { streamUrl } from "../../src/net/depthSocket";
import { PROTOCOL_VERSION } from "../../src/net/protocol";

describe("streamUrl", () => {
  it("builds the stream URL with protocol version and downsample", () => {
    expect(PROTOCOL_VERSION).toBe(1);
    expect(streamUrl("http://127.0.0.1:8000/?session=a", "/api/sessions/a/stream", 2)).toBe(
      `ws://127.0.0.1:8000/api/sessions/a/stream?v=${PROTOCOL_VERSION}&downsample=2`,
    );
    expect(streamUrl("https://h/x/", "/api/sessions/a/stream", 1)).toMatch(/^wss:\/\/h\/api\//);
  });
});
