// The #view canvas's pixels as base64 RGBA, top row first (copied through a 2D canvas, which
// works because ?e2e=1 keeps the WebGL drawing buffer).
() => {
  const c = document.getElementById('view');
  if (!c) throw new Error('no #view canvas');
  const w = c.width, h = c.height;
  const off = document.createElement('canvas');
  off.width = w; off.height = h;
  const ctx = off.getContext('2d', {willReadFrequently: true});
  ctx.drawImage(c, 0, 0);
  const data = ctx.getImageData(0, 0, w, h).data;
  let s = '';
  for (let i = 0; i < data.length; i += 0x8000) {
    s += String.fromCharCode.apply(null, data.subarray(i, i + 0x8000));
  }
  return {w, h, b64: btoa(s)};
}
