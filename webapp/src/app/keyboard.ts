/**
 * Keyboard shortcuts: space play/pause, ←/→ seek 5 s, , and . step one frame when paused,
 * f fullscreen, m cycle the view mode, h show/hide the HUD, r reset the view.
 */

export type KeyAction =
  | { kind: "toggle-play" }
  | { kind: "seek"; seconds: number }
  | { kind: "step"; frames: number }
  | { kind: "fullscreen" }
  | { kind: "cycle-mode" }
  | { kind: "toggle-hud" }
  | { kind: "reset-view" };

export const SEEK_SECONDS = 5;

/** What a key does (null: not ours). Frame steps only while paused. */
export function actionForKey(key: string, paused: boolean): KeyAction | null {
  switch (key) {
    case " ":
    case "Spacebar":
    case "k":
      return { kind: "toggle-play" };
    case "ArrowLeft":
      return { kind: "seek", seconds: -SEEK_SECONDS };
    case "ArrowRight":
      return { kind: "seek", seconds: SEEK_SECONDS };
    case ",":
    case "<":
      return paused ? { kind: "step", frames: -1 } : null;
    case ".":
    case ">":
      return paused ? { kind: "step", frames: 1 } : null;
    case "f":
    case "F":
      return { kind: "fullscreen" };
    case "m":
    case "M":
      return { kind: "cycle-mode" };
    case "h":
    case "H":
      return { kind: "toggle-hud" };
    case "r":
    case "R":
      return { kind: "reset-view" };
    default:
      return null;
  }
}

/** Whether typing in this element should not trigger shortcuts. */
function isTextEntry(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement) {
    return !["range", "checkbox", "button", "radio", "file"].includes(target.type);
  }
  return false;
}

export function installKeyboard(
  isPaused: () => boolean,
  run: (action: KeyAction) => void,
): () => void {
  const listener = (event: KeyboardEvent): void => {
    if (event.ctrlKey || event.metaKey || event.altKey || isTextEntry(event.target)) return;
    const action = actionForKey(event.key, isPaused());
    if (action === null) return;
    event.preventDefault();
    // a focused button would also be "clicked" by space: the shortcut alone acts
    if (event.target instanceof HTMLButtonElement) event.target.blur();
    run(action);
  };
  window.addEventListener("keydown", listener);
  return () => window.removeEventListener("keydown", listener);
}
