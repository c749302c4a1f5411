/**
 * Entry point: window.__depthcast, then either the upload page or (with ?session=ID) the
 * player. Navigation between the two keeps the other URL parameters.
 */
import "./style.css";
import { installDebugState, type DepthcastDebug } from "./app/debugState";
import { Player } from "./app/player";
import { parseParams, withSession } from "./app/params";
import { browserStorage, RecentSessions } from "./app/recentSessions";
import { UploadPage } from "./app/uploadPage";
import { ApiError, describeError } from "./net/api";

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
  try {
    const player = await Player.open(p.session, p, state, { back: () => navigate(null) });
    if (ticket !== routing) {
      player.dispose();
      return;
    }
    root.replaceChildren();
    player.mount(root);
    current = player;
    recent.add(player.session.id, player.session.filename);
    document.title = `${player.session.filename} · depthcast`;
  } catch (error) {
    if (ticket !== routing) return;
    root.replaceChildren();
    let message = `Could not open session ${p.session}: ${describeError(error)}`;
    if (error instanceof ApiError && error.status === 404) {
      recent.remove(p.session);
      message = `Session ${p.session} no longer exists on the server (it expired, was deleted, or the server restarted). Upload the video again.`;
      history.replaceState(null, "", withSession(location.href, null));
    }
    console.error(error);
    showUpload(message);
  }
}

function navigate(sessionId: string | null): void {
  history.pushState(null, "", withSession(location.href, sessionId));
  void route();
}

function loadingMessage(sessionId: string): HTMLElement {
  const p = document.createElement("p");
  p.className = "loading";
  p.textContent = `Opening session ${sessionId}…`;
  return p;
}

window.addEventListener("popstate", () => void route());
void route();

if (params.debug) console.debug("[depthcast] params", params);
