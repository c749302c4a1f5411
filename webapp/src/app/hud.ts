/** Heads-up display: depth fps, latency, buffer ahead, drops and re-requests, model, own-depth share. */
import type { ModelInfo } from "../net/protocol";
import type { DepthcastDebug } from "./debugState";
import { h } from "./dom";

export interface HudExtras {
  model: ModelInfo | null;
  serverFps: number | null;
  queued: number | null;
  inflight: number | null;
  inferenceMs: number | null;
  depthSize: string | null;
  bufferFrames: number;
  retryInMs: number | null;
  segments: string;
  debug: boolean;
}

export function ownDepthShare(state: Pick<DepthcastDebug, "displayedFrames" | "displayedWithOwnDepth">): number {
  return state.displayedFrames > 0 ? state.displayedWithOwnDepth / state.displayedFrames : 0;
}

export class Hud {
  readonly element: HTMLElement;
  private readonly rows = new Map<string, HTMLElement>();

  constructor(visible: boolean) {
    this.element = h("aside", { id: "hud", class: "hud", "aria-live": "off" });
    this.element.hidden = !visible;
  }

  get visible(): boolean {
    return !this.element.hidden;
  }

  toggle(): void {
    this.element.hidden = !this.element.hidden;
  }

  update(state: DepthcastDebug, extras: HudExtras): void {
    if (this.element.hidden) return;
    const model = extras.model;
    this.row("fps", "depth fps", `${state.depthFps.toFixed(1)}${extras.serverFps !== null ? ` (server ${extras.serverFps.toFixed(1)})` : ""}`);
    this.row("latency", "round trip", state.latencyMs === null ? "–" : `${state.latencyMs.toFixed(0)} ms`);
    this.row("ahead", "buffer ahead", `${state.bufferAheadMs.toFixed(0)} ms (${extras.bufferFrames} frames)`);
    this.row("dropped", "dropped", `${state.dropped}${state.cancelled ? ` (+${state.cancelled} cancelled)` : ""}`);
    this.row("rerequested", "re-requested", String(state.rerequested));
    this.row("own", "own depth", `${(100 * ownDepthShare(state)).toFixed(1)} % of ${state.displayedFrames} frames`);
    this.row("model", "model", model ? `${model.model_id}${model.random_weights ? " (RANDOM)" : ""}` : "–");
    this.row("device", "device", model ? `${model.device} ${model.dtype}${model.metric ? ", metric" : ", relative"}` : "–");
    this.row("socket", "socket", `${state.socket}${state.reconnects ? `, ${state.reconnects} reconnects` : ""}${extras.retryInMs !== null && state.socket === "closed" ? `, retry in ${(extras.retryInMs / 1000).toFixed(1)} s` : ""}`);
    if (extras.debug) {
      this.row("frame", "frame / depth", `${state.lastDisplayedIndex} / ${state.lastAppliedDepthIndex}`);
      this.row("queue", "server queue", `${extras.queued ?? "–"} queued, ${extras.inflight ?? "–"} in flight, ${extras.inferenceMs === null ? "–" : extras.inferenceMs.toFixed(0) + " ms"} inference`);
      this.row("size", "depth / mesh", `${extras.depthSize ?? "–"} / ${extras.segments}`);
      this.row("received", "received", `${state.framesReceived} frames${state.badFrames ? `, ${state.badFrames} bad` : ""}`);
    }
  }

  private row(key: string, label: string, value: string): void {
    let row = this.rows.get(key);
    if (!row) {
      row = h("span", { class: "hud-value", "data-hud": key });
      this.element.append(h("div", { class: "hud-row" }, h("span", { class: "hud-label", text: label }), row));
      this.rows.set(key, row);
    }
    if (row.textContent !== value) row.textContent = value;
  }
}
