// window.__depthcast's fields named in `keys` ('__undefined__' for a missing one), plus what
// the tests check beside them: the canvas, the debug methods, the URL, the <video>.
(keys) => {
  const d = window.__depthcast;
  if (!d) return null;
  const out = {};
  for (const k of keys) {
    const v = d[k];
    out[k] = (v === undefined) ? '__undefined__' : (v instanceof Error ? String(v) : v);
  }
  out.__canvasIsView = d.canvas instanceof HTMLCanvasElement && d.canvas.id === 'view';
  out.__setMode = typeof d.setMode === 'function';
  out.__enterXR = typeof d.enterXR === 'function';
  out.__url = location.href;
  const v = document.querySelector('video');
  out.__video = v ? {t: v.currentTime, paused: v.paused, muted: v.muted, rate: v.playbackRate,
                     readyState: v.readyState, ended: v.ended,
                     error: v.error ? v.error.code : null} : null;
  const c = document.getElementById('view');
  out.__canvas = c ? [c.width, c.height] : null;
  return out;
}
