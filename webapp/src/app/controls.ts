/** The player's control bar: transport, seek bar, rate, view mode, mesh and stereo settings. */
import type { StereoSettings } from "../render/stereo";
import { QUALITY_CHOICES, type QualityChoice } from "../stream/qualityController";
import { formatTime, h } from "./dom";
import { VIEW_MODES, type ViewMode } from "./params";
import { StereoControls } from "./stereoControls";

/** The view modes' names in the mode menus (the player's and the scene view's). */
export const MODE_LABELS: Readonly<Record<ViewMode, string>> = {
  normal: "3D orbit",
  sbs: "Side by side",
  cross: "Cross-eyed",
  tb: "Top and bottom",
  "half-tb": "Top and bottom, half",
  anaglyph: "Anaglyph red-cyan",
  "anaglyph-plain": "Anaglyph, plain",
  vr: "VR",
};

/** An <option> for every view mode, in VIEW_MODES's order (the `m` key's). */
export function modeOptions(): HTMLOptionElement[] {
  return VIEW_MODES.map((mode) => h("option", { value: mode, text: MODE_LABELS[mode] }));
}

export const PLAYBACK_RATES = [0.25, 0.5, 0.75, 1, 1.25, 1.5, 2] as const;
export const DENSITIES = [32, 64, 128, 256, 512, 1024] as const;

export interface ControlHandlers {
  togglePlay(): void;
  seekTo(seconds: number): void;
  setRate(rate: number): void;
  setMode(mode: ViewMode): void;
  setDensity(density: number): void;
  /** `auto` (adaptive) or a fixed level. */
  setQuality(choice: QualityChoice): void;
  setRelief(relief: number): void;
  setEdgeThreshold(threshold: number): void;
  /** Comfort, layout and VR scale (app/stereoControls.ts). */
  setStereo(change: Partial<StereoSettings>): void;
  resetView(): void;
  enterVr(): void;
  fullscreen(): void;
  toggleHud(): void;
  /** Show the QR codes that open this session on another device. */
  share(): void;
  /** Open or close the Export panel (depth as files, "Capture this frame") or the Scene panel
   * (camera path and fused point cloud of the whole video). */
  exportMenu(panel: "export" | "scene"): void;
  back(): void;
}

export interface ControlValues {
  quality: QualityChoice;
  density: number;
  relief: number;
  edgeThreshold: number;
  stereo: StereoSettings;
}

function labelled(text: string, control: HTMLElement, extra: Record<string, string> = {}): HTMLElement {
  return h("label", { class: "control", ...extra }, h("span", { class: "control-label", text }), control);
}

export class Controls {
  readonly element: HTMLElement;
  readonly playButton: HTMLButtonElement;
  readonly seek: HTMLInputElement;
  readonly time: HTMLElement;
  readonly rate: HTMLSelectElement;
  readonly mode: HTMLSelectElement;
  readonly vrButton: HTMLButtonElement;
  private readonly stereo: StereoControls;
  /** What only a video file has: the transport (play, seek, rate), adaptive quality, exports. */
  private readonly fileOnly: HTMLElement[];
  private scrubbing = false;

  constructor(handlers: ControlHandlers, values: ControlValues) {
    this.playButton = h("button", { id: "play", type: "button", class: "primary", title: "Play / pause (space)", text: "Play" });
    this.seek = h("input", { id: "seek", type: "range", min: 0, max: 1, step: "any", value: 0, "aria-label": "Seek" });
    this.time = h("span", { id: "time", class: "time", text: "0:00.0 / 0:00.0" });
    this.rate = h("select", { id: "rate", title: "Playback rate" });
    for (const r of PLAYBACK_RATES) this.rate.append(h("option", { value: r, text: `${r}×`, selected: r === 1 }));
    this.mode = h("select", { id: "mode", title: "View mode (m)" });
    this.mode.append(...modeOptions());
    const density = h("select", { id: "density", title: "Mesh density (segments)" });
    for (const d of DENSITIES) density.append(h("option", { value: d, text: String(d) }));
    if (!DENSITIES.includes(values.density as (typeof DENSITIES)[number])) {
      density.append(h("option", { value: values.density, text: String(values.density) }));
    }
    density.value = String(values.density);
    const quality = h("select", { id: "quality", title: "Quality: auto adapts density, depth resolution and look-ahead to what keeps up" });
    for (const q of QUALITY_CHOICES) quality.append(h("option", { value: q, text: q, selected: q === values.quality }));
    const relief = h("input", { id: "relief", type: "range", min: 0.1, max: 4, step: 0.05, value: values.relief, title: "Relief of relative depth" });
    const edge = h("input", { id: "edge", type: "range", min: 0, max: 0.5, step: 0.01, value: values.edgeThreshold, title: "Hide triangles across depth jumps above this (0: off)" });
    const resetView = h("button", { id: "reset-view", type: "button", title: "Reset view (r)", text: "Reset view" });
    this.vrButton = h("button", { id: "enter-vr", type: "button", title: "Enter VR", text: "Enter VR", disabled: true });
    const fullscreen = h("button", { id: "fullscreen", type: "button", title: "Fullscreen (f)", text: "Fullscreen" });
    const hud = h("button", { id: "hud-toggle", type: "button", title: "Stats (h)", text: "Stats" });
    const share = h("button", { id: "share", type: "button", title: "Open this video on a headset, or use a phone as the remote", text: "Other device" });
    const exportMenu = h("button", { id: "export", type: "button", title: "Export depth as files, or capture the paused frame", text: "Export" });
    const sceneMenu = h("button", { id: "scene", type: "button", title: "Camera path and point cloud of the whole video, in 3D or VR", text: "Scene" });
    const back = h("a", { id: "back", href: "./", class: "back", text: "← Videos" });

    this.stereo = new StereoControls(values.stereo, (change) => handlers.setStereo(change));
    const transport = h("div", { class: "transport" }, this.playButton, this.time, this.seek, labelled("rate", this.rate));
    const qualityControl = labelled("quality", quality);
    this.fileOnly = [transport, qualityControl, exportMenu, sceneMenu];
    this.element = h(
      "div",
      { id: "controls", class: "controls" },
      transport,
      h(
        "div",
        { class: "settings" },
        back,
        labelled("mode", this.mode),
        qualityControl,
        labelled("density", density),
        labelled("relief", relief),
        labelled("edges", edge),
        this.stereo.comfortGroup,
        this.stereo.screenGroup,
        this.stereo.vrGroup,
        resetView,
        this.vrButton,
        fullscreen,
        hud,
        share,
        exportMenu,
        sceneMenu,
      ),
    );

    this.playButton.addEventListener("click", () => handlers.togglePlay());
    this.seek.addEventListener("pointerdown", () => (this.scrubbing = true));
    this.seek.addEventListener("pointerup", () => (this.scrubbing = false));
    this.seek.addEventListener("input", () => handlers.seekTo(Number(this.seek.value)));
    this.seek.addEventListener("change", () => {
      this.scrubbing = false;
      handlers.seekTo(Number(this.seek.value));
    });
    this.rate.addEventListener("change", () => handlers.setRate(Number(this.rate.value)));
    this.mode.addEventListener("change", () => handlers.setMode(this.mode.value as ViewMode));
    density.addEventListener("change", () => handlers.setDensity(Number(density.value)));
    quality.addEventListener("change", () => handlers.setQuality(quality.value as QualityChoice));
    relief.addEventListener("input", () => handlers.setRelief(Number(relief.value)));
    edge.addEventListener("input", () => handlers.setEdgeThreshold(Number(edge.value)));
    resetView.addEventListener("click", () => handlers.resetView());
    this.vrButton.addEventListener("click", () => handlers.enterVr());
    fullscreen.addEventListener("click", () => handlers.fullscreen());
    hud.addEventListener("click", () => handlers.toggleHud());
    share.addEventListener("click", () => handlers.share());
    exportMenu.addEventListener("click", () => handlers.exportMenu("export"));
    sceneMenu.addEventListener("click", () => handlers.exportMenu("scene"));
    back.addEventListener("click", (event) => {
      event.preventDefault();
      handlers.back();
    });
  }

  /** A live session: no transport, no adaptive quality, no exports (there is no file). */
  hideFileControls(): void {
    for (const element of this.fileOnly) element.hidden = true;
  }

  /** Reflect the video's state (called every animation frame; cheap when nothing changed). */
  sync(video: HTMLVideoElement, clock: { timeS: number; durationS: number }): void {
    const label = video.paused ? "Play" : "Pause";
    if (this.playButton.textContent !== label) this.playButton.textContent = label;
    // clip time, 0 .. the frame table's duration (a late-starting clip's <video> clock starts
    // later, and the <video> may first read a duration that is too short)
    const duration = clock.durationS;
    const max = String(Math.max(duration, 0.001));
    if (this.seek.max !== max) this.seek.max = max;
    if (!this.scrubbing) this.seek.value = String(clock.timeS);
    const text = `${formatTime(Math.min(clock.timeS, duration))} / ${formatTime(duration)}`;
    if (this.time.textContent !== text) this.time.textContent = text;
    const rate = String(video.playbackRate);
    if (this.rate.value !== rate && [...this.rate.options].some((o) => o.value === rate)) this.rate.value = rate;
  }

  /** Reflect the mode (the view-mode controller calls this; the select only asks for changes). */
  showMode(mode: ViewMode): void {
    this.mode.value = mode;
    this.stereo.show(mode);
  }

  setVrActive(active: boolean): void {
    this.vrButton.textContent = active ? "Exit VR" : "Enter VR";
    this.vrButton.title = active ? "Leave the immersive session" : "Enter VR";
  }

  setVrSupported(supported: boolean): void {
    this.vrButton.disabled = !supported;
    const option = [...this.mode.options].find((o) => o.value === "vr");
    if (option) option.disabled = !supported;
  }
}
