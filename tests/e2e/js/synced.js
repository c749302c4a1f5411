// Predicate: the depth applied is the displayed frame's own (and that frame is i, unless null).
(i) => {
  const d = window.__depthcast;
  return d && Number.isInteger(d.lastDisplayedIndex) && d.lastDisplayedIndex >= 0
    && d.lastAppliedDepthIndex === d.lastDisplayedIndex
    && (i === null || d.lastDisplayedIndex === i);
}
