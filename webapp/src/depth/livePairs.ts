/**
 * A live session's pictures and depth frames, paired by frame index. The server sends each
 * computed frame as a picture, then its depth; they are decoded apart (the JPEG and the
 * inflate finish in either order), so each waits here for the other. Only the newest pair
 * matters: once frame i is paired, anything older is let go (a live view never goes back).
 */

export interface LivePair<P, D> {
  index: number;
  picture: P;
  depth: D;
}

/** Frames kept waiting for their other half, each kind (a pair is normally apart by one message). */
export const MAX_WAITING = 8;
/** An index this far below the last pair's is a new sequence (the source was restarted), not a late frame. */
export const RESTART_GAP = 1000;

export class LivePairs<P, D> {
  private readonly pictures = new Map<number, P>();
  private readonly depths = new Map<number, D>();
  private last = -1;
  /** Pictures let go without a pair (late, superseded, or too many waiting). */
  unpaired = 0;

  /** `release` frees a picture that will not be shown (an ImageBitmap's close). */
  constructor(private readonly release: (picture: P) => void = () => undefined) {}

  /** The index of the newest pair made (-1: none yet). */
  get lastIndex(): number {
    return this.last;
  }

  get waiting(): { pictures: number; depths: number } {
    return { pictures: this.pictures.size, depths: this.depths.size };
  }

  /** A decoded picture: the pair if its depth is here already, else null (it waits). */
  addPicture(index: number, picture: P): LivePair<P, D> | null {
    if (this.stale(index)) {
      this.dropPicture(picture);
      return null;
    }
    const depth = this.depths.get(index);
    if (depth !== undefined) return this.paired(index, picture, depth);
    const previous = this.pictures.get(index);
    if (previous !== undefined) this.dropPicture(previous);
    this.pictures.set(index, picture);
    this.bound(this.pictures, (p) => this.dropPicture(p));
    return null;
  }

  /** A decoded depth frame: the pair if its picture is here already, else null (it waits). */
  addDepth(index: number, depth: D): LivePair<P, D> | null {
    if (this.stale(index)) return null;
    const picture = this.pictures.get(index);
    if (picture !== undefined) {
      this.pictures.delete(index);
      return this.paired(index, picture, depth);
    }
    this.depths.set(index, depth);
    this.bound(this.depths, () => undefined);
    return null;
  }

  /** Let everything waiting go (a new connection: its frames start afresh). */
  clear(): void {
    for (const picture of this.pictures.values()) this.dropPicture(picture);
    this.pictures.clear();
    this.depths.clear();
  }

  private stale(index: number): boolean {
    if (index > this.last) return false;
    if (index < this.last - RESTART_GAP) {
      this.last = -1; // a new sequence: start over
      this.clear();
      return false;
    }
    return true;
  }

  private paired(index: number, picture: P, depth: D): LivePair<P, D> {
    this.last = index;
    for (const [i, p] of this.pictures) {
      if (i <= index) {
        this.pictures.delete(i);
        this.dropPicture(p);
      }
    }
    for (const i of this.depths.keys()) if (i <= index) this.depths.delete(i);
    return { index, picture, depth };
  }

  private dropPicture(picture: P): void {
    this.unpaired += 1;
    this.release(picture);
  }

  /** Keep at most MAX_WAITING, letting the oldest go. */
  private bound<T>(waiting: Map<number, T>, drop: (item: T) => void): void {
    while (waiting.size > MAX_WAITING) {
      const oldest = Math.min(...waiting.keys());
      drop(waiting.get(oldest) as T);
      waiting.delete(oldest);
    }
  }
}
