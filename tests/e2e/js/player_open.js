// Predicate: the player is shown and its depth socket is open.
() => {
  const d = window.__depthcast;
  return d && d.phase === 'player' && d.socket === 'open' && !!d.sessionId;
}
