/**
 * "Other device": QR codes that open this session on a headset (as a player) or on a phone
 * (as its remote). In LAN mode the codes carry the pairing secret, so scanning one pairs the
 * device; outside LAN mode only this computer can reach the server, and the panel says so.
 */
import { getLan, qrUrl, sessionPath } from "../net/lan";
import { h } from "./dom";

export class SharePanel {
  readonly element: HTMLElement;
  private loaded = false;

  constructor(private readonly sessionId: string) {
    this.element = h("div", { id: "share-panel", class: "share-panel", role: "dialog", "aria-label": "Open on another device" });
    this.element.hidden = true;
  }

  get open(): boolean {
    return !this.element.hidden;
  }

  toggle(): void {
    this.element.hidden = !this.element.hidden;
    if (this.open && !this.loaded) void this.load();
  }

  private async load(): Promise<void> {
    this.loaded = true;
    const info = await getLan();
    const close = h("button", { type: "button", class: "share-close", text: "Close" });
    close.addEventListener("click", () => this.toggle());
    if (!info.lan) {
      this.element.replaceChildren(
        h("p", { text: "Only this computer can reach the server now. To watch on a headset or use a phone as the remote, restart it in LAN mode: ./start.sh --lan" }),
        h("p", {}, "On this computer: ", h("a", { id: "share-remote-link", href: sessionPath(this.sessionId, true), target: "_blank", text: "open a remote in a new tab" })),
        close,
      );
      return;
    }
    const code = (id: string, title: string, path: string): HTMLElement =>
      h("figure", { class: "share-code" }, h("img", { id, src: qrUrl(path), alt: `QR code: ${title}`, width: 144, height: 144 }), h("figcaption", { text: title }));
    this.element.replaceChildren(
      h(
        "div",
        { class: "share-codes" },
        code("share-player-qr", "Watch on a headset", sessionPath(this.sessionId, false)),
        code("share-remote-qr", "Use a phone as the remote", sessionPath(this.sessionId, true)),
      ),
      h("p", { class: "share-note", text: "Scanning a code pairs the device with this server. Anyone who sees a code can pair: show it only to devices you trust." }),
      close,
    );
  }
}
