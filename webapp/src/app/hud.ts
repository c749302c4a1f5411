/** Heads-up display: depth fps, latency, buffer ahead, drops and re-requests, model, own-depth share. */
import type { ModelInfo, Stats } from "../net/protocol";
import type { DepthcastDebug } from "./debugState";
import { h } from "./dom";

/** What the HUD shows beyond window.__depthcast's counters. */
export interface HudExtras {
  model: ModelInfo | null;
  /** The server's last `stats` message. */
  stats: Stats | null;
  depthSize: string | null;
  bufferFrames: number;
  retryInMs: number | null;
  segments: string;
  /** The debug rows (?debug=1): frame indices, the server's pipeline, sizes. */
  debug: boolean;
}

export function ownDepthShare(state: Pick<DepthcastDebug, "displayedFrames" | "displayedWithOwnDepth">): number {
  return state.displayedFrames > 0 ? state.displayedWithOwnDepth / state.displayedFrames : 0;
}

/** "3 (+5 cancelled, +2 overflow)": losses first, then the drops that cost the viewer nothing. */
export function droppedText(state: Pick<DepthcastDebug, "dropped" | "cancelled" | "overflow">): string {
  const benign = [
    state.cancelled ? `+${state.cancelled} cancelled` : "",
    state.overflow ? `+${state.overflow} overflow` : "",
  ].filter((part) => part !== "");
  return `${state.dropped}${benign.length > 0 ? ` (${benign.join(", ")})` : ""}`;
}

/** The server's pipeline for this connection: "2 queued · 1 decoding · 1 inferring · 45 ms". */
export function pipelineText(stats: Stats | null): string {
  if (stats === null) return "–";
  const ms = stats.timings.inference_ms;
  return `${stats.queued} queued · ${stats.decoding} decoding · ${stats.inferring} inferring · ${ms.toFixed(0)} ms`;
}

export class Hud {
  readonly element: HTMLElement;
  private readonly rows = new Map<string, HTMLElement>();

  constructor(visible: boolean) {
    this.element = h("aside", { id: "hud", class: "hud", "aria-live": "off" });
    this.element.hidden = !visible;
  }

  toggle(): void {
    this.element.hidden = !this.element.hidden;
  }

  update(state: DepthcastDebug, extras: HudExtras): void {
    if (this.element.hidden) return;
    const { model, stats } = extras;
    this.row("fps", "depth fps", `${state.depthFps.toFixed(1)}${stats !== null ? ` (server ${stats.depth_fps.toFixed(1)})` : ""}`);
    this.row("latency", "round trip", state.latencyMs === null ? "–" : `${state.latencyMs.toFixed(0)} ms`);
    this.row("ahead", "buffer ahead", `${state.bufferAheadMs.toFixed(0)} ms (${extras.bufferFrames} frames)`);
    this.row("dropped", "dropped", droppedText(state));
    this.row("rerequested", "re-requested", String(state.rerequested));
    this.row("own", "own depth", `${(100 * ownDepthShare(state)).toFixed(1)} % of ${state.displayedFrames} frames`);
    this.row("quality", "quality", state.qualityLabel || "–");
    this.row("model", "model", model ? `${model.model_id}${model.random_weights ? " (RANDOM)" : ""}` : "–");
    this.row("device", "device", model ? `${model.device} ${model.dtype}${model.metric ? ", metric" : ", relative"}` : "–");
    this.row("socket", "socket", `${state.socket}${state.reconnects ? `, ${state.reconnects} reconnects` : ""}${extras.retryInMs !== null && state.socket === "closed" ? `, retry in ${(extras.retryInMs / 1000).toFixed(1)} s` : ""}`);
    if (extras.debug) {
      this.row("frame", "frame / depth", `${state.lastDisplayedIndex} / ${state.lastAppliedDepthIndex}`);
      this.row("queue", "server", pipelineText(stats));
      this.row("size", "depth / mesh", `${extras.depthSize ?? "–"} / ${extras.segments}`);
      this.row("received", "received", `${state.framesReceived} frames${state.badFrames ? `, ${state.badFrames} bad` : ""}`);
    }
  }

  /** Whether it is shown (a hidden HUD skips its updates). */
  get visible(): boolean {
    return !this.element.hidden;
  }

  /** Set one row's value, adding the row the first time (other views' rows use this too). */
  row(key: string, label: string, value: string): void {
    let row = this.rows.get(key);
    if (!row) {
      row = h("span", { class: "hud-value", "data-hud": key });
      this.element.append(h("div", { class: "hud-row" }, h("span", { class: "hud-label", text: label }), row));
      this.rows.set(key, row);
    }
    if (row.textContent !== value) row.textContent = value;
  }
}
