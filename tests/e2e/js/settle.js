// Resolve after n animation frames (the viewer renders on requestAnimationFrame).
(n) => new Promise((resolve) => {
  let k = 0;
  const step = () => (++k >= n ? resolve() : requestAnimationFrame(step));
  requestAnimationFrame(step);
})
