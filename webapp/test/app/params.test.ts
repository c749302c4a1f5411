import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { PARAM_DEFAULTS, parseParams, withMode, withRemote, withScene, withSession } from "../../src/app/params";

describe("URL parameters", () => {
  it("has the documented defaults", () => {
    expect(parseParams("")).toEqual(PARAM_DEFAULTS);
    expect(PARAM_DEFAULTS).toMatchObject({ maxInflight: 8, density: 256, downsample: 1, ahead: 2, mode: "normal" });
    // the table in params.ts's module comment is the one list of parameters in the app
    const source = readFileSync(fileURLToPath(new URL("../../src/app/params.ts", import.meta.url)), "utf8");
    const documented = [...source.matchAll(/^ \* \| `(\w+)`/gm)].map((m) => m[1]);
    for (const name of ["maxInflight", "debug", "mode", "density", "downsample", "stats", "session", "ahead", "xr", "e2e", "encoding", "quality", "scene"]) {
      expect(documented).toContain(name);
    }
  });

  it("parses every parameter", () => {
    const p = parseParams("?session=abc&mode=sbs&density=128&downsample=2&ahead=3.5&maxInflight=4&stats=1&debug&xr=emulate&e2e=true&remote=1&encoding=Predicted&quality=Balanced&scene=job7");
    expect(p).toEqual({
      session: "abc",
      mode: "sbs",
      density: 128,
      densityFromUrl: true,
      downsample: 2,
      ahead: 3.5,
      maxInflight: 4,
      encoding: "predicted",
      quality: "balanced",
      stats: true,
      debug: true,
      xrEmulate: true,
      e2e: true,
      remote: true,
      scene: "job7",
    });
  });

  it("scene: a job id, set and removed keeping the rest", () => {
    expect(parseParams("?scene=%20").scene).toBeNull();
    const url = withScene("http://h/?session=s&mode=sbs", "j1");
    expect(parseParams(new URL(url).search)).toMatchObject({ session: "s", mode: "sbs", scene: "j1" });
    expect(parseParams(new URL(withScene(url, null)).search).scene).toBeNull();
  });

  it("quality: auto unless a level is named", () => {
    expect(parseParams("").quality).toBe("auto");
    for (const level of ["auto", "smooth", "balanced", "quality"]) expect(parseParams(`?quality=${level}`).quality).toBe(level);
    expect(parseParams("?quality=ultra").quality).toBe("auto");
  });

  it("clamps and ignores bad values", () => {
    const p = parseParams("?mode=holo&density=5&downsample=99&ahead=abc&maxInflight=-3&stats=0&xr=real");
    expect(p.mode).toBe("normal");
    expect(p.density).toBe(16);
    expect(p.downsample).toBe(16);
    expect(p.ahead).toBe(2);
    expect(p.maxInflight).toBe(1);
    expect(p.stats).toBe(false);
    expect(p.xrEmulate).toBe(false);
    expect(parseParams("?encoding=png").encoding).toBe("auto");
  });

  it("takes every depth encoding by name, `auto` by default", () => {
    expect(PARAM_DEFAULTS.encoding).toBe("auto");
    for (const name of ["raw", "zlib", "predicted", "auto"]) expect(parseParams(`?encoding=${name}`).encoding).toBe(name);
  });

  it("sets and removes the session, keeping other parameters", () => {
    const url = withSession("http://h/?e2e=1&xr=emulate", "s1");
    expect(new URL(url).searchParams.get("session")).toBe("s1");
    expect(new URL(url).searchParams.get("e2e")).toBe("1");
    expect(new URL(withSession(url, null)).searchParams.has("session")).toBe(false);
  });

  it("sets the mode, leaving it out for the default, other parameters kept", () => {
    const sbs = new URL(withMode("http://h/?session=s1&e2e=1", "sbs"));
    expect(sbs.searchParams.get("mode")).toBe("sbs");
    expect(sbs.searchParams.get("session")).toBe("s1");
    expect(new URL(withMode(sbs.href, "vr")).searchParams.get("mode")).toBe("vr");
    const normal = new URL(withMode(sbs.href, "normal"));
    expect(normal.searchParams.has("mode")).toBe(false);
    expect(normal.searchParams.get("e2e")).toBe("1");
    expect(parseParams(normal.search).mode).toBe("normal");
    expect(parseParams(sbs.search).mode).toBe("sbs");
  });

  it("sets and clears the remote flag, keeping the rest", () => {
    const remote = withRemote("https://h:8000/?session=abc&mode=sbs", true);
    expect(new URL(remote).searchParams.get("remote")).toBe("1");
    expect(parseParams(new URL(remote).search).remote).toBe(true);
    expect(withRemote(remote, false)).toBe("https://h:8000/?session=abc&mode=sbs");
  });
});
