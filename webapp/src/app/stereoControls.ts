/**
 * The control bar's stereo settings: comfort (automatic, strength, convergence) in every stereo
 * mode and in VR; eye separation, swap and width on the screen; life-size or screen and the eye
 * height in VR. Each change is handed on as a partial StereoSettings.
 */
import { STRENGTH_RANGE } from "../render/comfort";
import { isStereoMode, type SbsWidth, type StereoSettings, type VrScale } from "../render/stereo";
import { h } from "./dom";
import type { ViewMode } from "./params";
import { EYE_HEIGHT_RANGE, EYE_SEP_RANGE } from "./stereoParams";

function labelled(text: string, control: HTMLElement): HTMLElement {
  return h("label", { class: "control" }, h("span", { class: "control-label", text }), control);
}

export class StereoControls {
  /** Shown in stereo modes and VR. */
  readonly comfortGroup: HTMLElement;
  /** Shown in stereo modes on the screen. */
  readonly screenGroup: HTMLElement;
  /** Shown in VR. */
  readonly vrGroup: HTMLElement;

  constructor(values: StereoSettings, onChange: (change: Partial<StereoSettings>) => void) {
    const auto = h("input", { id: "comfort-auto", type: "checkbox", title: "Automatic comfort: disparity within 3 % of the width" });
    auto.checked = values.auto;
    const [lo, hi] = STRENGTH_RANGE;
    const strength = h("input", { id: "strength", type: "range", min: lo, max: hi, step: 0.05, value: values.strength, title: "Depth strength (1: 3 % of the width at most)" });
    const convergence = h("input", { id: "convergence", type: "range", min: 0, max: 1, step: 0.01, value: values.convergence, title: "Zero-parallax plane: 0 at the nearest depth (all behind the screen), 1 at the farthest" });
    const eyeSep = h("input", { id: "eye-sep", type: "range", min: EYE_SEP_RANGE[0], max: EYE_SEP_RANGE[1], step: 0.002, value: values.eyeSep, title: "Eye separation (manual: turns automatic comfort off)" });
    const swap = h("input", { id: "swap-eyes", type: "checkbox", title: "Swap eyes" });
    swap.checked = values.swapEyes;
    const width = h("select", { id: "sbs-width", title: "Side by side: full, natural aspect per eye; half: squeezed (3D TVs)" });
    width.append(h("option", { value: "full", text: "full width" }), h("option", { value: "half", text: "half width" }));
    width.value = values.width;
    const scale = h("select", { id: "vr-scale", title: "Life-size (metric models: 1 m of depth is 1 m) or a screen in a room" });
    scale.append(h("option", { value: "life", text: "life-size" }), h("option", { value: "screen", text: "screen" }));
    scale.value = values.vrScale;
    const [minEye, maxEye] = EYE_HEIGHT_RANGE;
    const eyeHeight = h("input", { id: "eye-height", type: "range", min: minEye, max: maxEye, step: 0.05, value: values.eyeHeight, title: "Height of the recorded camera above the floor (m)" });

    this.comfortGroup = h("div", { class: "control-group stereo-only" }, labelled("auto", auto), labelled("strength", strength), labelled("convergence", convergence));
    this.screenGroup = h("div", { class: "control-group stereo-only" }, labelled("eye sep", eyeSep), labelled("swap", swap), labelled("width", width));
    this.vrGroup = h("div", { class: "control-group vr-only" }, labelled("scale", scale), labelled("eye height", eyeHeight));
    this.show("normal"); // until the view-mode controller shows the mode

    auto.addEventListener("change", () => onChange({ auto: auto.checked }));
    strength.addEventListener("input", () => onChange({ strength: Number(strength.value) }));
    convergence.addEventListener("input", () => onChange({ convergence: Number(convergence.value) }));
    eyeSep.addEventListener("input", () => {
      auto.checked = false;
      onChange({ auto: false, eyeSep: Number(eyeSep.value) });
    });
    swap.addEventListener("change", () => onChange({ swapEyes: swap.checked }));
    width.addEventListener("change", () => onChange({ width: width.value as SbsWidth }));
    scale.addEventListener("change", () => onChange({ vrScale: scale.value as VrScale }));
    eyeHeight.addEventListener("input", () => onChange({ eyeHeight: Number(eyeHeight.value) }));
  }

  show(mode: ViewMode): void {
    const stereo = isStereoMode(mode);
    this.comfortGroup.hidden = !stereo && mode !== "vr";
    this.screenGroup.hidden = !stereo;
    this.vrGroup.hidden = mode !== "vr";
  }
}
