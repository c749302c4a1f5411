import * as THREE from "three";
import { describe, expect, it } from "vitest";
import { parseSceneChunk } from "../../src/net/sceneChunk";
import { CameraPath } from "../../src/scene/cameraPath";
import { poseToThree } from "../../src/scene/opencv";
import { ScenePointCloud } from "../../src/scene/pointCloud";
import { cameraAt, chunkBytes } from "../sceneChunkFixture";

describe("ScenePointCloud", () => {
  it("adds chunks in three.js axes (y up, z back) and draws every point so far", () => {
    const cloud = new ScenePointCloud();
    cloud.add(parseSceneChunk(chunkBytes(0, [[1, 2, 3]], [255, 255, 255])));
    cloud.add(parseSceneChunk(chunkBytes(1, [[4, 5, 6], [7, 8, 9]], [0, 128, 255])));
    expect(cloud.count).toBe(3);
    expect(cloud.chunkCounts).toEqual([1, 2]);
    const position = cloud.points.geometry.getAttribute("position");
    expect([position.getX(0), position.getY(0), position.getZ(0)]).toEqual([1, -2, -3]);
    expect([position.getX(2), position.getY(2), position.getZ(2)]).toEqual([7, -8, -9]);
    expect(cloud.points.geometry.drawRange.count).toBe(3);
    const colour = cloud.points.geometry.getAttribute("color");
    // sRGB 255 and 0 are linear 1 and 0; sRGB 128 is linear ~0.216
    expect([colour.getX(0), colour.getX(1), colour.getZ(1)]).toEqual([1, 0, 1]);
    expect(colour.getY(1)).toBeCloseTo(0.216, 2);
    expect(cloud.sample.size).toBe(3);
  });

  it("grows past its first capacity and keeps what it had", () => {
    const cloud = new ScenePointCloud();
    const first = cloud.capacity;
    const points = Array.from({ length: first + 5 }, (_, i) => [i, 0, 1] as const);
    cloud.add(parseSceneChunk(chunkBytes(0, [[-1, -1, 1]])));
    cloud.add(parseSceneChunk(chunkBytes(1, points)));
    expect(cloud.count).toBe(first + 6);
    expect(cloud.capacity).toBeGreaterThanOrEqual(first + 6);
    const position = cloud.points.geometry.getAttribute("position");
    expect(position.getY(0)).toBe(1);
    expect(position.getX(first + 5)).toBe(first + 4);
    expect(cloud.points.geometry.drawRange.count).toBe(first + 6);
  });
});

describe("CameraPath", () => {
  it("has one vertex per camera, at the cameras' centres in three.js axes", () => {
    const path = new CameraPath();
    path.setCameras([cameraAt(0, 0, 0, 0), cameraAt(4, 1, 2, 3), cameraAt(8, 2, 4, 6)], 0.1);
    expect(path.vertexCount).toBe(3);
    const line = path.group.getObjectByName("scene-camera-path") as THREE.Line;
    const position = line.geometry.getAttribute("position");
    expect(position.count).toBe(3);
    expect([position.getX(1), position.getY(1), position.getZ(1)]).toEqual([1, -2, -3]);
  });
});

describe("poseToThree", () => {
  it("keeps a camera looking along OpenCV +z looking along three.js −z", () => {
    // a camera turned 90° about y: OpenCV forward (+z) goes to world +x
    const pose = poseToThree([0, 0, 1, 5, 0, 1, 0, 2, -1, 0, 0, 3, 0, 0, 0, 1]);
    const forward = new THREE.Vector3(0, 0, -1).transformDirection(pose);
    expect(forward.x).toBeCloseTo(1, 6);
    const up = new THREE.Vector3(0, 1, 0).transformDirection(pose);
    expect(up.y).toBeCloseTo(1, 6);
    expect(new THREE.Vector3().setFromMatrixPosition(pose).toArray()).toEqual([5, -2, -3]);
  });
});
