import { describe, expect, it } from "vitest";
import { offeredEncodings } from "../../src/net/depthCodec";
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

  it("offers the depth encodings the viewer reads, best first", () => {
    const url = new URL(streamUrl("http://h/", "/api/sessions/a/stream", 1, offeredEncodings("auto")));
    expect(url.searchParams.get("encoding")).toBe("predicted,zlib,raw");
    expect(offeredEncodings("raw")).toBe("raw");
    expect(new URL(streamUrl("http://h/", "/s", 1)).searchParams.has("encoding")).toBe(false);
  });
});
