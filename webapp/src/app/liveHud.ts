/** The HUD's rows for a live session: capture-to-display latency, live depth fps, the source. */
import type { LiveCounters } from "../stream/liveCounters";
import type { ModelInfo, Stats } from "../net/protocol";
import type { DepthcastDebug } from "./debugState";
import type { Hud } from "./hud";

export interface LiveHudExtras {
  model: ModelInfo | null;
  stats: Stats | null;
  retryInMs: number | null;
  depthSize: string | null;
  segments: string;
  debug: boolean;
}

function ms(value: number | null): string {
  return value === null ? "–" : `${value.toFixed(0)} ms`;
}

/** "180 ms (p50 210 ms over 2 s)", marked when the capturer's clock is not known here. */
export function latencyText(live: Pick<LiveCounters, "latencyMs" | "latencyP50Ms" | "latencySynced">): string {
  if (live.latencyMs === null) return "–";
  const p50 = live.latencyP50Ms === null ? "" : ` (p50 ${ms(live.latencyP50Ms)} over 2 s)`;
  return `${ms(live.latencyMs)}${p50}${live.latencySynced ? "" : ", clocks not synced"}`;
}

/** "live", "reconnecting (timed out)", "ended"… */
export function sourceText(live: Pick<LiveCounters, "kind" | "state" | "error">): string {
  const state = live.state ?? "connecting";
  return `${live.kind ?? "?"}: ${state}${live.error && state !== "live" ? ` (${live.error})` : ""}`;
}

/** "3 sent · 1 unanswered · 2 superseded · in flight ≤1" (a page that captures its own source). */
export function senderText(live: Pick<LiveCounters, "framesSent" | "unanswered" | "superseded" | "creditLimit">): string {
  return `${live.framesSent} sent · ${live.unanswered} unanswered · ${live.superseded} superseded · in flight ≤${live.creditLimit}`;
}

export function updateLiveHud(hud: Hud, state: DepthcastDebug, live: LiveCounters, extras: LiveHudExtras): void {
  if (!hud.visible) return;
  const { model, stats } = extras;
  hud.row("live-latency", "capture → display", latencyText(live));
  hud.row("live-fps", "live depth fps", `${live.depthFps.toFixed(1)}${stats !== null ? ` (server ${stats.depth_fps.toFixed(1)})` : ""}`);
  hud.row("live-source", "source", sourceText(live));
  if (live.sender) hud.row("live-sender", "frames", senderText(live));
  hud.row("latency", "round trip", state.latencyMs === null ? "–" : `${state.latencyMs.toFixed(0)} ms`);
  hud.row("live-stable", "depth", live.pairsShown === 0 ? "–" : live.stabilized ? "stabilised" : "per frame");
  hud.row("model", "model", model ? `${model.model_id}${model.random_weights ? " (RANDOM)" : ""}` : "–");
  hud.row("device", "device", model ? `${model.device} ${model.dtype}${model.metric ? ", metric" : ", relative"}` : "–");
  const retry = extras.retryInMs !== null && state.socket === "closed" ? `, retry in ${(extras.retryInMs / 1000).toFixed(1)} s` : "";
  hud.row("socket", "socket", `${state.socket}${state.reconnects ? `, ${state.reconnects} reconnects` : ""}${retry}`);
  if (extras.debug) {
    hud.row("frame", "frame shown", `${live.lastShownIndex} (${live.pairsShown} shown, ${live.unpaired} unpaired)`);
    hud.row("queue", "server", stats === null ? "–" : `${stats.inferring} inferring · ${stats.timings.inference_ms.toFixed(0)} ms · ${stats.dropped_stale} skipped`);
    hud.row("size", "depth / mesh", `${extras.depthSize ?? "–"} / ${extras.segments}`);
    hud.row("clock", "server clock", live.clockOffsetMs === null ? "–" : `${live.clockOffsetMs >= 0 ? "+" : ""}${live.clockOffsetMs.toFixed(0)} ms`);
  }
}
