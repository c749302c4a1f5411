/**
 * The web app's layers run one way, as a frame travels: net (wire) → depth (frames, buffer)
 * → stream (one session's depth) and render (mesh, views) → scene (a scene job's point cloud
 * and camera path) and xr → app (pages, widgets, the composition) → main.ts. A module imports only from its own folder and the folders below.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const SRC = fileURLToPath(new URL("../src/", import.meta.url));

/** What each folder may import, besides itself. */
const ALLOWED: Record<string, readonly string[]> = {
  net: [],
  depth: ["net"],
  stream: ["net", "depth"],
  render: ["net", "depth"],
  scene: ["net", "render"],
  xr: [],
  app: ["net", "depth", "stream", "render", "scene", "xr"],
  ".": ["net", "depth", "stream", "render", "scene", "xr", "app"],
};

/** Generated from backend/depthcast/streaming/protocol.py: as long as the protocol is. */
const EXEMPT_FROM_SIZE = new Set(["net/protocol.ts"]);
const MAX_LINES = 300;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

function folderOf(path: string): string {
  const rel = relative(SRC, path).split(sep);
  return rel.length > 1 ? (rel[0] as string) : ".";
}

/** Relative specifiers: `from "..."`, `import("...")` and `new URL("...", import.meta.url)`. */
function localImports(text: string): string[] {
  const found: string[] = [];
  for (const pattern of [/from\s+"(\.[^"]*)"/g, /import\(\s*"(\.[^"]*)"\s*\)/g, /new URL\(\s*"(\.[^"]*)",\s*import\.meta\.url/g]) {
    for (const match of text.matchAll(pattern)) found.push(match[1] as string);
  }
  return found;
}

describe("web app layout", () => {
  const files = sources(SRC);

  it("finds the folders it knows and nothing else", () => {
    expect(files.length).toBeGreaterThan(30);
    for (const file of files) expect(Object.keys(ALLOWED), relative(SRC, file)).toContain(folderOf(file));
  });

  it("imports only downwards", () => {
    const wrong: string[] = [];
    for (const file of files) {
      const from = folderOf(file);
      for (const spec of localImports(readFileSync(file, "utf8"))) {
        const to = folderOf(resolve(dirname(file), spec));
        if (to !== from && !(ALLOWED[from] ?? []).includes(to)) wrong.push(`${relative(SRC, file)} → ${spec}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it(`keeps modules under ${MAX_LINES} lines`, () => {
    const long = files
      .map((file) => ({ file: relative(SRC, file).split(sep).join("/"), lines: readFileSync(file, "utf8").split("\n").length }))
      .filter(({ file, lines }) => lines > MAX_LINES && !EXEMPT_FROM_SIZE.has(file));
    expect(long).toEqual([]);
  });
});
