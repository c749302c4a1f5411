/**
 * The playable copy, as the viewer shows it. While the server converts an upload this browser
 * cannot play (docs/PROTOCOL.md, "Playable copies"), a notice over the player says
 * "Converting for this browser: 42 %" (depth may already stream); once the copy is ready the
 * <video> switches to it at the same time and play state. A <video> that fails on the original
 * is reported to the server (POST /playback), which then makes the copy.
 */
import { describeError, getSession, reportPlaybackFailure, type SessionInfo } from "../net/api";
import type { PlaybackInfo } from "../net/protocol";
import { videoWindow, type VideoWindow } from "../render/videoWindow";
import type { DepthcastDebug } from "./debugState";
import type { NoticeKind } from "./playerLayout";

/** How often the session is read while a copy is being made. */
const POLL_MS = 500;

/** What the page needs of the player: its <video>, its notice line, and the video's error. */
export interface PlaybackHost {
  readonly video: HTMLVideoElement;
  showNotice(message: string | null, kind?: NoticeKind): void;
  videoError(): string | null;
}

/** The notice for a copy in progress or failed; null when there is nothing to say. */
export function playbackMessage(info: PlaybackInfo): string | null {
  if (info.state === "converting") return `Converting for this browser: ${Math.floor(info.progress * 100)} %`;
  if (info.state === "failed") return `This browser cannot play the video, and converting it failed: ${info.error ?? "unknown error"}`;
  return null;
}

/** Watch the session's copy; returns the cleanup. */
export function watchPlayback(
  session: SessionInfo,
  host: PlaybackHost,
  state: DepthcastDebug,
  /** Sample only the picture's part of the video texture (the copy's padding left out). */
  setVideoWindow: (window: VideoWindow) => void,
): () => void {
  const video = host.video;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let disposed = false;
  let reported = false;
  // The session's video URL serves the copy once it is ready: a page opened then has it.
  let onCopy = session.playback.state === "ready";
  const crop = (info: PlaybackInfo): void =>
    setVideoWindow(videoWindow({
      width: info.width, height: info.height, padRight: info.pad_right, padBottom: info.pad_bottom,
      rotation: session.video.rotation,
    }));

  const apply = (info: PlaybackInfo): void => {
    state.copyState = info.state;
    state.copyProgress = info.progress;
    if (state.copyStates[state.copyStates.length - 1] !== info.state) state.copyStates.push(info.state);
    const message = playbackMessage(info);
    if (message !== null) host.showNotice(message, info.state === "failed" ? "error" : "info");
    if (info.state === "ready" && !onCopy && info.url !== null) switchTo(info, info.url);
    if (info.state === "converting") schedule();
  };
  const schedule = (): void => {
    if (disposed || timer !== null) return;
    timer = setTimeout(() => {
      timer = null;
      getSession(session.id)
        .then((s) => !disposed && apply(s.playback))
        .catch(() => !disposed && schedule()); // a blip: ask again
    }, POLL_MS);
  };
  const switchTo = (info: PlaybackInfo, url: string): void => {
    onCopy = true;
    state.videoSource = "copy";
    const at = video.currentTime;
    const playing = !video.paused && !video.ended;
    video.addEventListener(
      "loadedmetadata",
      () => {
        if (at > 0) video.currentTime = at;
        if (playing) void video.play().catch(() => undefined);
      },
      { once: true },
    );
    video.addEventListener("loadeddata", () => crop(info), { once: true }); // the copy's frames
    video.src = url;
    host.showNotice(null);
  };
  const onError = (): void => {
    const failure = host.videoError();
    if (failure === null) return;
    if (onCopy || reported) {
      host.showNotice(failure);
      return;
    }
    reported = true;
    reportPlaybackFailure(session.id, failure)
      .then((info) => !disposed && apply(info))
      .catch((e: unknown) => host.showNotice(`${failure} (${describeError(e)})`));
  };

  state.videoSource = onCopy ? "copy" : "original";
  if (onCopy) crop(session.playback);
  state.copyStates = [];
  apply(session.playback);
  video.addEventListener("error", onError);
  return () => {
    disposed = true;
    if (timer !== null) clearTimeout(timer);
    video.removeEventListener("error", onError);
  };
}
