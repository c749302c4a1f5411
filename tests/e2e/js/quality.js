// Adaptive quality's state and the counters it judges by, at the page's clock (performance.now).
() => {
  const d = window.__depthcast;
  if (!d) return null;
  const hud = document.querySelector('[data-hud="quality"]');
  const select = document.getElementById('quality');
  return {
    t: performance.now(), level: d.quality, auto: d.qualityAuto, reason: d.qualityReason,
    history: d.qualityHistory, settings: d.qualitySettings,
    displayed: d.displayedFrames, own: d.displayedWithOwnDepth, received: d.framesReceived,
    depthFps: d.depthFps, bufferAheadMs: d.bufferAheadMs, dropped: d.dropped, overflow: d.overflow,
    hud: hud ? hud.textContent : null, select: select ? select.value : null,
    playing: (() => { const v = document.querySelector('video'); return !!v && !v.paused && !v.ended; })(),
  };
}
