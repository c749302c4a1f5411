/**
 * The Export panel's form: format, range (the whole clip, or a selection in seconds or frames
 * with "from playhead" / "to playhead"), the chosen format's options only, and a summary line
 * that says how many frames the export will hold or what is wrong with the range.
 */
import type { FrameTimes } from "../depth/frameTimes";
import type { ExportFormat } from "../net/exports";
import type { ExportRequest } from "../net/protocol";
import { h } from "./dom";
import {
  convertValue,
  DEFAULT_OPTIONS,
  FORMAT_CHOICES,
  FORMAT_OPTIONS,
  optionsFor,
  playheadValue,
  rangeLength,
  secondsOfFrame,
  selectionRange,
  type OptionName,
  type OptionValues,
  type RangeSelection,
  type RangeUnit,
} from "./exportChoices";

export interface ResChoice {
  value: number | null;
  label: string;
}

function field(text: string, control: HTMLElement, option?: OptionName): HTMLLabelElement {
  return h("label", { class: "control", "data-option": option }, h("span", { class: "control-label", text }), control);
}

function select(id: string, choices: ReadonlyArray<readonly [string, string]>, value: string): HTMLSelectElement {
  const element = h("select", { id });
  for (const [v, text] of choices) element.append(h("option", { value: v, text, selected: v === value }));
  return element;
}

export class ExportForm {
  readonly element: HTMLElement;
  /** "40 frames (1.33 s of video)", or why the range cannot be exported. */
  readonly summary: HTMLElement;
  private readonly format = select("export-format", FORMAT_CHOICES.map((c) => [c.format, c.label] as const), "npz");
  private readonly hint = h("p", { id: "export-hint", class: "export-hint muted" });
  private readonly range = select("export-range", [["whole", "whole clip"], ["selection", "selection"]], "whole");
  private readonly unit = select("export-unit", [["s", "seconds"], ["frames", "frames"]], "s");
  private readonly from = h("input", { id: "export-from", type: "number", min: 0, step: "any", "aria-label": "Selection start" });
  private readonly to = h("input", { id: "export-to", type: "number", min: 0, step: "any", "aria-label": "Selection end (included)" });
  private readonly selectionGroup: HTMLElement;
  private readonly options = new Map<OptionName, HTMLLabelElement>();
  private readonly inputs: {
    dtype: HTMLSelectElement; colormap: HTMLSelectElement; side_by_side: HTMLInputElement; stereo_layout: HTMLSelectElement;
    eye_separation: HTMLInputElement; convergence: HTMLInputElement; point_step: HTMLInputElement; process_res: HTMLSelectElement;
    stabilize: HTMLInputElement;
  };

  constructor(
    private readonly times: FrameTimes,
    private readonly host: { shownIndex(): number },
    resChoices: readonly ResChoice[],
  ) {
    const d = DEFAULT_OPTIONS;
    this.inputs = {
      dtype: select("export-dtype", [["float32", "float32"], ["float16", "float16 (half the size)"]], d.dtype),
      colormap: select("export-colormap", [["turbo", "turbo"], ["inferno", "inferno"]], d.colormap),
      side_by_side: h("input", { id: "export-side-by-side", type: "checkbox", checked: d.side_by_side }),
      stereo_layout: select("export-stereo-layout", [["sbs", "side by side"], ["half-sbs", "half side by side"], ["tb", "top-bottom"], ["half-tb", "half top-bottom"]], d.stereo_layout),
      eye_separation: h("input", { id: "export-eye-separation", type: "number", min: 0.1, max: 100, step: 0.1, value: d.eye_separation, title: "% of the width" }),
      convergence: h("input", { id: "export-convergence", type: "number", min: 0, max: 1, step: 0.05, value: d.convergence, title: "0: all in front of the screen, 1: all behind it" }),
      point_step: h("input", { id: "export-point-step", type: "number", min: 1, max: 64, step: 1, value: d.point_step, title: "Every n-th pixel in both directions" }),
      process_res: select("export-process-res", resChoices.map((c) => [c.value === null ? "" : String(c.value), c.label] as const), ""),
      stabilize: h("input", { id: "export-stabilize", type: "checkbox", checked: d.stabilize, title: "Each frame's depth aligned in scale and shift to the frames before it" }),
    };
    const labels: Record<OptionName, string> = {
      dtype: "precision", colormap: "colours", side_by_side: "source beside it", stereo_layout: "layout",
      eye_separation: "eye separation %", convergence: "convergence", point_step: "point step", process_res: "depth size",
      stabilize: "Stabilise depth (less flicker)",
    };
    for (const name of Object.keys(labels) as OptionName[]) this.options.set(name, field(labels[name], this.inputs[name], name));
    this.from.value = "0";
    this.to.value = String(secondsOfFrame(times.count - 1, times));
    const fromPlayhead = h("button", { id: "export-from-playhead", type: "button", text: "from playhead" });
    const toPlayhead = h("button", { id: "export-to-playhead", type: "button", text: "to playhead" });
    this.selectionGroup = h(
      "div",
      { class: "export-row export-selection" },
      field("in", this.unit),
      field("from", this.from),
      fromPlayhead,
      field("to", this.to),
      toPlayhead,
    );
    this.summary = h("span", { id: "export-summary", class: "export-summary" });
    this.element = h(
      "div",
      { class: "export-fields" },
      h("div", { class: "export-row" }, field("format", this.format), field("range", this.range)),
      this.hint,
      this.selectionGroup,
      h("div", { class: "export-row export-options" }, ...this.options.values()),
    );
    fromPlayhead.addEventListener("click", () => this.setFromPlayhead(this.from));
    toPlayhead.addEventListener("click", () => this.setFromPlayhead(this.to));
    this.unit.addEventListener("change", () => this.switchUnit());
    this.element.addEventListener("input", () => this.refresh());
    this.element.addEventListener("change", () => this.refresh());
    this.refresh();
  }

  /** Show the chosen format's options and the selection fields; say what will be exported. */
  refresh(): void {
    const format = this.format.value as ExportFormat;
    const shown = new Set(FORMAT_OPTIONS[format]);
    for (const [name, label] of this.options) label.hidden = !shown.has(name);
    this.hint.textContent = FORMAT_CHOICES.find((c) => c.format === format)?.hint ?? "";
    this.selectionGroup.hidden = this.range.value !== "selection";
    const request = this.request();
    this.summary.classList.toggle("error", typeof request === "string");
    if (typeof request === "string") {
      this.summary.textContent = request;
      return;
    }
    const n = rangeLength({ start: request.start ?? 0, end: request.end ?? null }, this.times.count);
    const first = request.start ?? 0;
    const seconds = this.times.end(first + n - 1) - this.times.time(first);
    this.summary.textContent = `${n} ${n === 1 ? "frame" : "frames"} (${seconds.toFixed(2)} s of video)`;
  }

  /** The request the form describes, or what is wrong with it. */
  request(): ExportRequest | string {
    const format = this.format.value as ExportFormat;
    const range = selectionRange(this.selection(), this.times);
    if (typeof range === "string") return range;
    const options = optionsFor(format, this.values());
    if (typeof options === "string") return options;
    return { format, start: range.start, end: range.end, options };
  }

  private selection(): RangeSelection {
    const number = (input: HTMLInputElement): number => (input.value.trim() === "" ? Number.NaN : Number(input.value));
    return { whole: this.range.value !== "selection", unit: this.unit.value as RangeUnit, from: number(this.from), to: number(this.to) };
  }

  private values(): OptionValues {
    const i = this.inputs;
    return {
      dtype: i.dtype.value as OptionValues["dtype"],
      colormap: i.colormap.value as OptionValues["colormap"],
      side_by_side: i.side_by_side.checked,
      stereo_layout: i.stereo_layout.value as OptionValues["stereo_layout"],
      eye_separation: Number(i.eye_separation.value),
      convergence: Number(i.convergence.value),
      point_step: Number(i.point_step.value),
      process_res: i.process_res.value === "" ? null : Number(i.process_res.value),
      stabilize: i.stabilize.checked,
    };
  }

  private setFromPlayhead(input: HTMLInputElement): void {
    const index = Math.min(Math.max(this.host.shownIndex(), 0), this.times.count - 1);
    input.value = String(playheadValue(this.unit.value as RangeUnit, index, this.times));
    this.refresh();
  }

  /** The same frames in the other unit. */
  private switchUnit(): void {
    const unit = this.unit.value as RangeUnit;
    for (const input of [this.from, this.to]) {
      input.step = unit === "frames" ? "1" : "any";
      if (input.value.trim() !== "") input.value = String(convertValue(Number(input.value), unit, this.times));
    }
    this.refresh();
  }
}
