// Pause the <video>.
() => document.querySelector('video').pause()
