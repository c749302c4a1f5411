// Play the <video> at `rate` (muted under ?e2e=1, so no user gesture is needed).
async (rate) => {
  const v = document.querySelector('video');
  if (!v) throw new Error('no <video> element');
  v.playbackRate = rate;
  await v.play();
}
