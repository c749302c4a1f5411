// Pause, seek the <video> to t seconds and resolve on 'seeked' (reject after 15 s).
async (t) => {
  const v = document.querySelector('video');
  if (!v) throw new Error('no <video> element');
  if (!v.paused) v.pause();
  await Promise.race([
    new Promise((resolve) => { v.addEventListener('seeked', resolve, {once: true}); v.currentTime = t; }),
    new Promise((_, reject) => setTimeout(() => reject(new Error('seeked not fired in 15 s')), 15000)),
  ]);
}
