// Record every change of what the scene view draws ([chunks loaded, points, camera vertices,
// job state]) into window.__sceneSeen, from now on (a 20 ms poll).
() => {
  window.__sceneSeen = [];
  let last = '';
  setInterval(() => {
    const s = window.__depthcast.scene;
    if (!s) return;
    const row = [s.chunksLoaded, s.points, s.cameraVertices, s.state];
    const key = row.join(' ');
    if (key !== last) { last = key; window.__sceneSeen.push(row); }
  }, 20);
}
