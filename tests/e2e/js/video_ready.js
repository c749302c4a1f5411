// Predicate: the <video> has decoded a frame.
() => {
  const v = document.querySelector('video');
  return v && v.readyState >= 2 && v.videoWidth > 0;
}
