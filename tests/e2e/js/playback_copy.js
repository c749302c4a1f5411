// The playable copy as the page sees it: window.__depthcast's copy fields, the notice line and
// the <video>'s source.
() => {
  const d = window.__depthcast;
  const notice = document.getElementById('notice');
  const v = document.querySelector('video');
  return {
    copyState: d ? d.copyState : null,
    copyStates: d ? [...d.copyStates] : [],
    videoSource: d ? d.videoSource : null,
    notice: notice && !notice.hidden ? notice.textContent : null,
    currentSrc: v ? v.currentSrc : null,
  };
}
