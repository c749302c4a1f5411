/**
 * Which captured frames a browser source has unanswered, and whether it may send another.
 * The server holds one frame computing and one waiting (the newest), so a sender keeps at
 * most two unanswered, one when the server's passes are long against the round trip (the
 * rule and its measurements are in creditLimit.ts), and captures the next when an answer
 * comes (docs/PROTOCOL.md, "A browser source"): an answer is the server's echo of the
 * picture (the same index, to every viewer) or a `dropped` naming it (`superseded`,
 * `failed`). An echo also answers every older frame: the server works on the newest, and a
 * sender whose socket was busy gets only the newest pair (the older one's echo is never
 * sent, only counted in `stats.dropped_overflow`). The echo of a frame sent alone (nothing
 * else unanswered) gives the rule a round trip: from when it was taken, before its JPEG
 * encode (also a gap in the model's work), to its picture.
 * Pure: the clock is passed in.
 */
import { CreditLimit } from "./creditLimit";

export { MAX_UNANSWERED } from "./creditLimit";
/** A frame unanswered this long is given up (lost with a connection that closed), so capture goes on. */
export const ANSWER_TIMEOUT_MS = 10_000;

export class CaptureCredit {
  private readonly waiting = new Map<number, { sentMs: number; alone: boolean }>(); // by index
  private next = 0;
  /** Frames sent, answered, and given up on (timed out, or cut off by a new connection). */
  sent = 0;
  answered = 0;
  forgotten = 0;
  /** The most frames that were unanswered at once. */
  peakUnanswered = 0;

  constructor(
    readonly limits = new CreditLimit(),
    readonly timeoutMs = ANSWER_TIMEOUT_MS,
  ) {}

  /** How many may be unanswered now, by the rule (1 or 2). */
  get limit(): number {
    return this.limits.limit;
  }

  get unanswered(): number {
    return this.waiting.size;
  }

  /** Whether another frame may be sent now. */
  canSend(nowMs: number): boolean {
    for (const [index, { sentMs }] of this.waiting) {
      if (nowMs - sentMs >= this.timeoutMs) {
        this.waiting.delete(index);
        this.forgotten += 1;
      }
    }
    return this.waiting.size < this.limits.allowedAt(nowMs);
  }

  /** Take the next frame index (frames are numbered by their sender, from 0, never reused). */
  take(nowMs: number): number {
    const index = this.next++;
    const alone = this.waiting.size === 0;
    this.waiting.set(index, { sentMs: nowMs, alone });
    this.limits.noteSent(nowMs, alone);
    this.sent += 1;
    this.peakUnanswered = Math.max(this.peakUnanswered, this.waiting.size);
    return index;
  }

  /** A frame taken but not sent after all (the socket closed meanwhile). */
  cancel(index: number): void {
    if (this.waiting.delete(index)) this.sent -= 1;
  }

  /** An answer for `index` arrived; true when it was one of ours still unanswered. */
  answer(index: number): boolean {
    if (!this.waiting.delete(index)) return false;
    this.answered += 1;
    return true;
  }

  /** Frame `index` came back (its picture) at `nowMs`: it and every older frame are answered. */
  echo(index: number, nowMs: number): boolean {
    const frame = this.waiting.get(index);
    if (frame?.alone) this.limits.noteRoundTrip(nowMs - frame.sentMs);
    let ours = false;
    for (const waiting of [...this.waiting.keys()]) {
      if (waiting <= index) ours = this.answer(waiting) || ours;
    }
    return ours;
  }

  /** A new connection: what the old one left unanswered will not be answered. */
  reset(): void {
    this.forgotten += this.waiting.size;
    this.waiting.clear();
  }
}
