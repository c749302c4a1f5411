import { describe, expect, it } from "vitest";
import { ApiError } from "../../src/net/api";
import { isNotPaired, pairFromUrl, pairSecret, withoutPairSecret } from "../../src/net/pairing";

function answer(status: number, body = ""): typeof fetch {
  const calls: Array<[string, RequestInit | undefined]> = [];
  const fn = (async (input: RequestInfo | URL, init?: RequestInit) => {
    calls.push([String(input), init]);
    return new Response(status === 204 ? null : body, { status });
  }) as typeof fetch;
  return Object.assign(fn, { calls });
}

describe("pairing from the address", () => {
  it("reads and removes the secret, keeping other parameters", () => {
    const href = "https://192.168.1.5:8000/?session=abc&pair=s3cr-t_&mode=vr";
    expect(pairSecret(href)).toBe("s3cr-t_");
    expect(withoutPairSecret(href)).toBe("https://192.168.1.5:8000/?session=abc&mode=vr");
    expect(pairSecret("https://h/?pair=")).toBeNull();
    expect(pairSecret("https://h/")).toBeNull();
  });

  it("posts the secret once and clears the address bar first", async () => {
    const fetchFn = answer(204);
    const urls: string[] = [];
    const outcome = await pairFromUrl("https://h:8000/?pair=abc&session=x", (u) => urls.push(u), fetchFn);
    expect(outcome).toBe("paired");
    expect(urls).toEqual(["https://h:8000/?session=x"]);
    const calls = (fetchFn as unknown as { calls: Array<[string, RequestInit]> }).calls;
    expect(calls).toHaveLength(1);
    expect(calls[0]?.[0]).toBe("/api/pair");
    expect(calls[0]?.[1].method).toBe("POST");
    expect(JSON.parse(String(calls[0]?.[1].body))).toEqual({ secret: "abc" });
  });

  it("does nothing without a secret", async () => {
    const fetchFn = answer(204);
    expect(await pairFromUrl("https://h/?session=x", () => undefined, fetchFn)).toBe("none");
    expect((fetchFn as unknown as { calls: unknown[] }).calls).toHaveLength(0);
  });

  it("turns a refusal into an ApiError and still clears the address", async () => {
    const urls: string[] = [];
    const body = JSON.stringify({ error: { code: "not_paired", message: "wrong secret" } });
    const error = await pairFromUrl("https://h/?pair=bad", (u) => urls.push(u), answer(401, body)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(isNotPaired(error)).toBe(true);
    expect((error as ApiError).code).toBe("not_paired");
    expect(urls).toEqual(["https://h/"]);
  });
});
