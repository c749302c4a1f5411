/**
 * Web Worker running the depth WebSocket: the socket, header parsing and inflating stay off
 * the main thread; decoded sample buffers and pictures are transferred (not copied) to it.
 */
import { SocketLoop } from "./socketLoop";
import type { FromWorker, ToWorker } from "./workerMessages";

interface WorkerScope {
  postMessage(message: FromWorker, transfer: Transferable[]): void;
  addEventListener(type: "message", listener: (event: MessageEvent<ToWorker>) => void): void;
}

const scope = self as unknown as WorkerScope;
let debug = false;

const loop = new SocketLoop({
  createSocket: (url) => new WebSocket(url),
  post: (message, transfer) => scope.postMessage(message, transfer),
  setTimer: (fn, ms) => setTimeout(fn, ms),
  clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  log: (...args) => {
    if (debug) console.debug("[depth worker]", ...args);
  },
  decodePicture: (jpeg) => createImageBitmap(jpeg),
});

scope.addEventListener("message", (event) => {
  const command = event.data;
  switch (command.kind) {
    case "connect":
      debug = command.debug;
      loop.connect(command.url);
      break;
    case "send":
      loop.send(command.message);
      break;
    case "send_binary":
      loop.sendBinary(command.buffer);
      break;
    case "close":
      loop.close();
      break;
  }
});
