/**
 * Entry point: window.__depthcast; in LAN mode the pairing (`?pair=`) first; then the upload
 * page, the player (`?session=ID`: a file's, or a live session's), a remote
 * (`?session=ID&remote=1`) or a scene job's view (`?session=ID&scene=JOB`). Navigation between
 * them keeps the other URL parameters.
 */
import "./style.css";
import { installDebugState, type DepthcastDebug } from "./app/debugState";
import { LivePlayer } from "./app/livePlayer";
import { Player } from "./app/player";
import { parseParams, withRemote, withScene, withSession, type ViewerParams } from "./app/params";
import { browserStorage, RecentSessions } from "./app/recentSessions";
import { RemotePage } from "./app/remotePage";
import { ScenePage } from "./app/scenePage";
import { UploadPage } from "./app/uploadPage";
import { ApiError, describeError } from "./net/api";
import { getAnySession, isLiveSession } from "./net/live";
import { isNotPaired, NOT_PAIRED_MESSAGE, pairFromUrl } from "./net/pairing";

const params = parseParams(location.search);
const state: DepthcastDebug = installDebugState(params.mode);
const root = document.getElementById("app") ?? document.body;
const recent = new RecentSessions(browserStorage());
let current: { dispose(): void } | null = null;
let routing = 0;

function showUpload(notice: string | null): void {
  state.phase = "upload";
  state.sessionId = null;
  state.canvas = null;
  state.error = notice;
  const page = new UploadPage({
    recent,
    notice,
    onOpen: (id) => navigate(id),
    onUploaded: (session) => navigate(session.id),
    onLive: (session) => navigate(session.id),
    onError: (message) => (state.error = message),
  });
  page.mount(root);
  current = page;
  document.title = "depthcast";
}

async function route(notice: string | null = null): Promise<void> {
  const ticket = ++routing;
  current?.dispose();
  current = null;
  const p = parseParams(location.search);
  if (p.session === null) {
    showUpload(notice);
    return;
  }
  state.sessionId = p.session;
  state.error = null;
  root.replaceChildren(loadingMessage(p.session));
  if (p.remote) {
    await routeRemote(p.session, ticket);
    return;
  }
  if (p.scene !== null) {
    await routeScene(p, p.session, p.scene, ticket);
    return;
  }
  try {
    const callbacks = { back: () => navigate(null), open: (id: string) => navigate(id) };
    // a live session's JSON has `live`: it has no file, frames or <video> to play
    const session = await getAnySession(p.session);
    const player = isLiveSession(session) ? await LivePlayer.open(session, p, state, callbacks) : await Player.open(p.session, p, state, callbacks);
    if (ticket !== routing) {
      player.dispose();
      return;
    }
    root.replaceChildren();
    player.mount(root);
    current = player;
    if (player instanceof Player) recent.add(player.session.id, player.session.filename);
    document.title = `${player instanceof Player ? player.session.filename : player.title} · depthcast`;
  } catch (error) {
    if (ticket !== routing) return;
    root.replaceChildren();
    let message = `Could not open session ${p.session}: ${describeError(error)}`;
    if (isNotPaired(error)) message = NOT_PAIRED_MESSAGE;
    else if (error instanceof ApiError && error.status === 404) {
      recent.remove(p.session);
      message = `Session ${p.session} no longer exists on the server (it expired, was deleted, or the server restarted). Upload the video again.`;
      history.replaceState(null, "", withSession(location.href, null));
    }
    console.error(error);
    showUpload(message);
  }
}

async function routeRemote(sessionId: string, ticket: number): Promise<void> {
  try {
    const page = await RemotePage.open(sessionId, state, {
      follow: (id) => navigate(id, true),
      back: () => navigate(null),
      uploaded: (id, filename) => recent.add(id, filename),
      recent: recent.list(),
    });
    if (ticket !== routing) return page.dispose();
    root.replaceChildren();
    page.mount(root);
    current = page;
    recent.add(page.session.id, page.session.filename);
    document.title = `Remote · ${page.session.filename} · depthcast`;
  } catch (error) {
    if (ticket !== routing) return;
    root.replaceChildren();
    showUpload(isNotPaired(error) ? NOT_PAIRED_MESSAGE : `Could not open session ${sessionId}: ${describeError(error)}`);
  }
}

async function routeScene(p: ViewerParams, sessionId: string, jobId: string, ticket: number): Promise<void> {
  try {
    const page = await ScenePage.open(sessionId, jobId, p, state, { back: () => navigateScene(null) });
    if (ticket !== routing) return page.dispose();
    root.replaceChildren();
    page.mount(root);
    current = page;
    document.title = `${page.title} · depthcast`;
  } catch (error) {
    if (ticket !== routing) return;
    root.replaceChildren();
    console.error(error);
    showUpload(isNotPaired(error) ? NOT_PAIRED_MESSAGE : `Could not open scene ${jobId} of session ${sessionId}: ${describeError(error)}`);
  }
}

function navigate(sessionId: string | null, remote = false): void {
  history.pushState(null, "", withScene(withRemote(withSession(location.href, sessionId), remote && sessionId !== null), null));
  void route();
}

/** The scene view of this session's job, or (null) back to its player. */
function navigateScene(jobId: string | null): void {
  history.pushState(null, "", withScene(location.href, jobId));
  void route();
}

/** In LAN mode: trade `?pair=` for the cookie before the first request. */
async function start(): Promise<void> {
  try {
    await pairFromUrl(location.href, (href) => history.replaceState(history.state, "", href));
  } catch (error) {
    await route(`Pairing failed: ${describeError(error)}. ${NOT_PAIRED_MESSAGE}`);
    return;
  }
  await route();
}

function loadingMessage(sessionId: string): HTMLElement {
  const p = document.createElement("p");
  p.className = "loading";
  p.textContent = `Opening session ${sessionId}…`;
  return p;
}

window.addEventListener("popstate", () => void route());
void start();

if (params.debug) console.debug("[depthcast] params", params);
