import { describe, expect, it } from "vitest";
import { ApiError, describeError, errorFromResponse } from "../../src/net/api";

describe("server errors in words", () => {
  it("uses the server's sentence from {error:{code,message}}", () => {
    const e = errorFromResponse(413, JSON.stringify({ error: { code: "upload_too_large", message: "The file is larger than 1 MB." } }));
    expect(e.status).toBe(413);
    expect(e.code).toBe("upload_too_large");
    expect(describeError(e)).toBe("Too large: The file is larger than 1 MB.");
    const n = errorFromResponse(415, JSON.stringify({ error: { code: "not_a_video", message: "Not a video file." } }));
    expect(describeError(n)).toBe("Not a video: Not a video file.");
  });

  it("falls back to a sentence when the body is not JSON", () => {
    expect(errorFromResponse(413, "<html>").message).toMatch(/too large/);
    expect(errorFromResponse(0, "").message).toMatch(/could not be reached/);
    expect(errorFromResponse(502, "").message).toMatch(/server failed/);
  });

  it("describes any thrown value: ApiError, Error, or anything else", () => {
    expect(describeError(new ApiError(404, "http_404", "Not found."))).toBe("Not found.");
    expect(describeError(new Error("play() was interrupted"))).toBe("play() was interrupted");
    expect(describeError("plain")).toBe("plain");
  });
});
