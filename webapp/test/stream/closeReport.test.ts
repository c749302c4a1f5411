import { describe, expect, it } from "vitest";

import { NOT_PAIRED_MESSAGE } from "../../src/net/pairing";
import { CloseCode } from "../../src/net/protocol";
import { fatalClose } from "../../src/stream/closeReport";

describe("fatalClose", () => {
  it("stops on a gone session with the stream's own sentence", () => {
    expect(fatalClose(CloseCode.UNKNOWN_SESSION, "", "gone")).toBe("gone");
    expect(fatalClose(CloseCode.SESSION_DELETED, "", "gone")).toBe("gone");
  });

  it("stops on pairing, another site and another protocol, saying why", () => {
    expect(fatalClose(CloseCode.NOT_PAIRED, "", "gone")).toBe(NOT_PAIRED_MESSAGE);
    expect(fatalClose(CloseCode.CROSS_SITE, "", "gone")).toMatch(/another site/);
    expect(fatalClose(CloseCode.PROTOCOL_MISMATCH, "server speaks protocol 1", "gone")).toMatch(
      /protocol version \(server speaks protocol 1\)/,
    );
  });

  it("lets the socket reconnect otherwise", () => {
    for (const code of [1006, CloseCode.SERVICE_RESTART, CloseCode.CLIENT_NOT_READING, CloseCode.TOO_MANY_CONNECTIONS]) {
      expect(fatalClose(code, "", "gone")).toBeNull();
    }
  });
});
