import { describe, expect, it } from "vitest";
import type { ViewMode } from "../../src/app/params";
import { RemoteLink, STATE_INTERVAL_MS, type RemoteTarget } from "../../src/app/remoteLink";
import type { Control } from "../../src/net/protocol";

function player(): RemoteTarget & { log: string[]; at: { timeS: number; paused: boolean; mode: ViewMode } } {
  const at = { timeS: 3, paused: true, mode: "normal" as ViewMode };
  const log: string[] = [];
  return {
    log,
    at,
    play: () => { log.push("play"); at.paused = false; },
    pause: () => { log.push("pause"); at.paused = true; },
    seekTo: (s) => { log.push(`seek ${s}`); at.timeS = s; },
    setMode: (m) => { log.push(`mode ${m}`); at.mode = m; },
    open: (id) => log.push(`open ${id}`),
    position: () => ({ ...at }),
  };
}

describe("a player obeys its remote", () => {
  it("applies play, pause, seek, mode and open, and reports the result", () => {
    const target = player();
    const sent: Control[] = [];
    const link = new RemoteLink(target, (m) => sent.push(m));
    link.setPeers(1);
    sent.length = 0;
    link.receive({ type: "control", action: "seek", time_s: 7.5 });
    link.receive({ type: "control", action: "play" });
    link.receive({ type: "control", action: "mode", mode: "sbs" });
    link.receive({ type: "control", action: "pause" });
    link.receive({ type: "control", action: "open", session_id: "next" });
    expect(target.log).toEqual(["seek 7.5", "play", "mode sbs", "pause", "open next"]);
    expect(link.applied).toBe(5);
    expect(sent.at(2)).toEqual({ type: "control", action: "state", time_s: 7.5, paused: false, mode: "sbs" });
  });

  it("names every stereo layout on the wire, both ways", () => {
    const target = player();
    const sent: Control[] = [];
    const link = new RemoteLink(target, (m) => sent.push(m));
    link.setPeers(1);
    for (const mode of ["anaglyph", "half-tb", "cross"] as const) {
      link.receive({ type: "control", action: "mode", mode });
      expect(sent.at(-1)).toMatchObject({ action: "state", mode }); // not reported as sbs
    }
    expect(target.log).toEqual(["mode anaglyph", "mode half-tb", "mode cross"]);
  });

  it("ignores malformed arguments and other players' state", () => {
    const target = player();
    const link = new RemoteLink(target, () => undefined);
    link.receive({ type: "control", action: "seek" });
    link.receive({ type: "control", action: "mode", mode: null });
    link.receive({ type: "control", action: "state", time_s: 1, paused: false, mode: "vr" });
    expect(target.log).toEqual([]);
  });

  it("reports only while another device listens, at most once per interval", () => {
    const sent: Control[] = [];
    const link = new RemoteLink(player(), (m) => sent.push(m));
    link.tick(0);
    expect(sent).toHaveLength(0);
    link.setPeers(1); // a remote joined: told at once
    expect(sent).toHaveLength(1);
    link.tick(performance.now() + 10);
    expect(sent).toHaveLength(1);
    link.tick(performance.now() + STATE_INTERVAL_MS + 1);
    expect(sent).toHaveLength(2);
    link.setPeers(0);
    link.tick(performance.now() + 10 * STATE_INTERVAL_MS);
    expect(sent).toHaveLength(2);
  });
});
