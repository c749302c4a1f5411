/** GET /api/health shown in words: status, model, device, and a loud banner for random weights. */
import { describeError, getHealth, type HealthInfo } from "../net/api";
import { h } from "./dom";

export const RANDOM_WEIGHTS_TEXT =
  "RANDOM WEIGHTS: the server runs the depth network with random weights. The depth shown is meaningless (a test/demo setup).";

export const RANDOM_WEIGHTS_SHORT = "RANDOM WEIGHTS: the depth shown is meaningless (test/demo model).";

/** The loud warning; `compact` (player) keeps it to one line, the full sentence as a tooltip. */
export function randomWeightsBanner(compact = false): HTMLElement {
  return h("div", {
    id: "random-weights-banner",
    class: compact ? "banner warn compact" : "banner warn",
    role: "alert",
    title: RANDOM_WEIGHTS_TEXT,
    text: compact ? RANDOM_WEIGHTS_SHORT : RANDOM_WEIGHTS_TEXT,
  });
}

export class HealthPanel {
  readonly element: HTMLElement;
  private readonly line: HTMLElement;
  private readonly banner: HTMLElement;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  health: HealthInfo | null = null;

  constructor(private readonly onChange: (health: HealthInfo | null) => void = () => undefined) {
    this.line = h("span", { id: "health-status", class: "health-line", text: "Checking the server…" });
    this.banner = randomWeightsBanner();
    this.banner.hidden = true;
    this.element = h("section", { id: "health", class: "health" }, this.line, this.banner);
  }

  start(): void {
    this.stopped = false;
    void this.poll();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private async poll(): Promise<void> {
    let next = 10_000;
    try {
      const health = await getHealth();
      this.health = health;
      this.render(health);
      if (health.status === "loading") next = 2_000;
    } catch (error) {
      this.health = null;
      this.line.className = "health-line error";
      this.line.dataset.status = "unreachable";
      this.line.textContent = `Server unreachable: ${describeError(error)}`;
      next = 3_000;
    }
    this.onChange(this.health);
    if (!this.stopped) this.timer = setTimeout(() => void this.poll(), next);
  }

  private render(health: HealthInfo): void {
    const words: Record<HealthInfo["status"], string> = {
      loading: "Model loading…",
      ready: "Model ready",
      error: "Model failed to load",
    };
    const parts = [
      words[health.status],
      `model ${health.model_id}`,
      `device ${health.device}${health.dtype ? ` (${health.dtype})` : ""}`,
      health.metric ? "metric depth" : "relative depth",
    ];
    if (health.status === "error" && health.error) parts.push(health.error);
    this.line.textContent = parts.join(" · ");
    this.line.className = `health-line ${health.status}`;
    this.line.dataset.status = health.status;
    this.banner.hidden = health.weights !== "random";
  }
}
