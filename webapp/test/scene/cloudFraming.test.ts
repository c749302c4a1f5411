import * as THREE from "three";
import { describe, expect, it } from "vitest";
import { parseSceneChunk } from "../../src/net/sceneChunk";
import { VR_EYE_HEIGHT_M } from "../../src/render/framing";
import { DEFAULT_STEREO } from "../../src/render/stereo";
import type { ViewRenderer } from "../../src/render/viewRenderer";
import { CameraPath } from "../../src/scene/cameraPath";
import { CloudFraming } from "../../src/scene/cloudFraming";
import { ROOM_SIZE_M } from "../../src/scene/extent";
import { ScenePointCloud } from "../../src/scene/pointCloud";
import { cameraAt, chunkBytes } from "../sceneChunkFixture";

/** The parts of ViewRenderer the framing uses, recorded. */
function fakeView() {
  const calls = { span: [] as Array<{ near: number; far: number } | null>, centre: [] as Array<[number, boolean]>, box: [] as THREE.Vector3[][], geometry: 0, renders: [] as Array<() => void> };
  const view = {
    content: new THREE.Group(),
    stereo: { settings: { ...DEFAULT_STEREO } },
    controls: { addEventListener: () => undefined },
    onBeforeRender: (fn: () => void) => calls.renders.push(fn),
    setGeometry: () => calls.geometry++,
    invalidate: () => undefined,
    setSceneBox: (corners: THREE.Vector3[]) => calls.box.push(corners),
    setCentreDepth: (depth: number, refit: boolean) => calls.centre.push([depth, refit]),
    setMode: () => undefined,
    setDepthSpan: (span: { near: number; far: number } | null) => calls.span.push(span),
    resize: () => undefined,
  };
  return { view: view as unknown as ViewRenderer, content: view.content, settings: view.stereo.settings, calls };
}

/** A 10 m × 2 m × 10 m block of points in front of a camera at OpenCV (0, 0, 0). */
function block(): ScenePointCloud {
  const cloud = new ScenePointCloud();
  const points: Array<[number, number, number]> = [];
  for (let i = 0; i <= 20; i++) for (let j = 0; j <= 20; j++) points.push([-5 + i / 2, (j % 5) / 2, 2 + j / 2]);
  cloud.add(parseSceneChunk(chunkBytes(0, points)));
  return cloud;
}

describe("CloudFraming", () => {
  it("frames the cloud from the first camera and refits as it grows", () => {
    const { view, calls } = fakeView();
    const framing = new CloudFraming(view, block(), new CameraPath());
    framing.refresh();
    const [depth, refit] = calls.centre.at(-1)!;
    expect(depth).toBeCloseTo(7, 0); // median of 2..12 m in front
    expect(refit).toBe(true);
    const corners = calls.box.at(-1)!;
    expect(Math.min(...corners.map((c) => c.z))).toBeCloseTo(-11.8, 0);
    expect(Math.max(...corners.map((c) => c.x))).toBeCloseTo(4.8, 0);
    // stereo comfort is told the cloud's depth from the nearest to the farthest, not the median
    const span = calls.span.at(-1)!;
    expect(span.near).toBeCloseTo(2.5, 0);
    expect(span.far).toBeCloseTo(11.5, 0);
  });

  it("anchors on the first camera: a cloud seen from a moved camera is framed the same", () => {
    const { view, calls } = fakeView();
    const cloud = new ScenePointCloud();
    // the first camera at OpenCV (100, 0, 0); the points 2..12 m in front of it
    const points: Array<[number, number, number]> = [];
    for (let j = 0; j <= 20; j++) points.push([100, 0, 2 + j / 2]);
    cloud.add(parseSceneChunk(chunkBytes(0, points)));
    const framing = new CloudFraming(view, cloud, new CameraPath());
    framing.setCameras([cameraAt(0, 100, 0, 0), cameraAt(8, 101, 0, 0)]);
    expect(calls.geometry).toBe(1);
    expect(calls.centre.at(-1)![0]).toBeCloseTo(7, 0);
    expect(Math.max(...calls.box.at(-1)!.map((c) => Math.abs(c.x)))).toBeLessThan(1e-3);
  });

  it("shows a metric scene life-size and a relative one as a room, at eye height", () => {
    const { view, content, calls } = fakeView();
    const cloud = block();
    const framing = new CloudFraming(view, cloud, new CameraPath());
    framing.refresh();
    framing.setJob(true, 0.05);
    framing.showVr();
    expect(content.scale.x).toBe(1);
    expect(content.position.y).toBe(VR_EYE_HEIGHT_M);
    calls.renders.forEach((fn) => fn());
    expect(cloud.points.material.size).toBeCloseTo(0.075, 6); // 1.5 voxels, unscaled
    framing.setJob(false, 0.05);
    const size = framing.extent!.size;
    expect(content.scale.x * size).toBeCloseTo(ROOM_SIZE_M, 6);
    calls.renders.forEach((fn) => fn());
    expect(cloud.points.material.size).toBeCloseTo(0.075 * content.scale.x, 6);
    framing.showScreen("normal");
    expect(content.scale.x).toBe(1);
    expect(content.position.y).toBe(0);
  });

  it("puts the first camera at the eye height the settings give (?eyeHeight=)", () => {
    const { view, content, settings } = fakeView();
    const framing = new CloudFraming(view, block(), new CameraPath());
    framing.refresh();
    settings.eyeHeight = 1.2;
    framing.showVr();
    expect(content.position.y).toBe(1.2);
  });
});
