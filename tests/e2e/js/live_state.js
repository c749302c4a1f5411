// A live session's viewer: window.__depthcast.live (pairs shown, latency, frames sent...) plus
// the page's phase, session, socket, mode and error; null before the page has its state.
() => {
  const d = window.__depthcast;
  if (!d) return null;
  const hud = document.querySelector('#hud [data-hud="live-latency"]');
  return {live: d.live ? {...d.live} : null, phase: d.phase, sessionId: d.sessionId,
          socket: d.socket, mode: d.mode, error: d.error, xrSessionActive: d.xrSessionActive,
          lastAppliedDepthIndex: d.lastAppliedDepthIndex, framesReceived: d.framesReceived,
          hudLatency: hud ? hud.textContent : null,
          capturePlaying: (() => { const v = document.getElementById('capture-preview');
                                   return v ? !v.paused && v.videoWidth > 0 : null; })()};
}
