/**
 * Keyboard shortcuts: space play/pause, ←/→ seek 5 s, , and . step one frame when paused,
 * f fullscreen, m cycle the view mode, h show/hide the HUD, r reset the view.
 *
 * A focused control keeps only the keys it uses itself (a menu: arrows, space, Enter; a text
 * field: all), so the other shortcuts work while it has focus, and Escape leaves it.
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

/** Keys a focused menu uses itself: choosing an option, opening the list. */
const MENU_KEYS = new Set([" ", "Spacebar", "Enter", "ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight", "Home", "End", "PageUp", "PageDown"]);

/** Whether a key pressed in this element is the element's own (not a shortcut). */
export function keyBelongsTo(target: EventTarget | null, key: string): boolean {
  if (typeof HTMLElement === "undefined" || !(target instanceof HTMLElement)) return false;
  if (target.isContentEditable || target instanceof HTMLTextAreaElement) return true;
  if (target instanceof HTMLSelectElement) return MENU_KEYS.has(key);
  if (target instanceof HTMLInputElement) {
    return !["range", "checkbox", "button", "radio", "file"].includes(target.type);
  }
  return false;
}

/** A control (not the page or the 3D view) has the keyboard focus. */
function isControl(element: Element | null): element is HTMLElement {
  return element instanceof HTMLElement && element !== document.body && !(element instanceof HTMLCanvasElement);
}

export function installKeyboard(
  isPaused: () => boolean,
  run: (action: KeyAction) => void,
): () => void {
  const listener = (event: KeyboardEvent): void => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "Escape") {
      // Escape leaves a focused control: the keys are the shortcuts' again
      const focused = document.activeElement;
      if (isControl(focused)) focused.blur();
      return;
    }
    if (keyBelongsTo(event.target, event.key)) return;
    const action = actionForKey(event.key, isPaused());
    if (action === null) return;
    event.preventDefault();
    // a focused button would also be "clicked" by space: the shortcut alone acts
    if (event.target instanceof HTMLButtonElement) event.target.blur();
    run(action);
  };
  // A menu keeps the focus after a choice: give it back to the page, so the keys are shortcuts.
  const changed = (event: Event): void => {
    if (event.target instanceof HTMLSelectElement) event.target.blur();
  };
  window.addEventListener("keydown", listener);
  window.addEventListener("change", changed);
  return () => {
    window.removeEventListener("keydown", listener);
    window.removeEventListener("change", changed);
  };
}
