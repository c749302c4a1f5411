// The mean [r, g, b] of the frame the <video> shows (null before its first frame): the test
// clip's frames are told apart by their colour.
() => {
  const v = document.querySelector('video');
  if (!v || !v.videoWidth) return null;
  const off = document.createElement('canvas');
  off.width = v.videoWidth; off.height = v.videoHeight;
  const ctx = off.getContext('2d', {willReadFrequently: true});
  ctx.drawImage(v, 0, 0);
  const d = ctx.getImageData(0, 0, off.width, off.height).data;
  let r = 0, g = 0, b = 0;
  for (let i = 0; i < d.length; i += 4) { r += d[i]; g += d[i + 1]; b += d[i + 2]; }
  const n = d.length / 4;
  return [r / n, g / n, b / n];
}
