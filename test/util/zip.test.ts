// The ZIP writer against independent readers: the CRC-32 check value of the standard, and Info-ZIP's unzip
// (a separate implementation) reading back names, methods and bytes, UTF-8 names included.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { crc32, zip } from "../../src/util/zip.ts";

const dir = mkdtempSync(join(tmpdir(), "staffroom-zip-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Info-ZIP's reader (installed by .ci/run): tests every CRC, lists names and methods, extracts bytes. */
const unzip = (args: string[]) => execFileSync("unzip", args, { cwd: dir });

describe("zip", () => {
  it("computes the standard CRC-32 check value", () => {
    expect(crc32(Buffer.from("123456789"))).toBe(0xcbf43926);
    expect(crc32(Buffer.alloc(0))).toBe(0);
  });

  it("writes an archive another implementation reads back byte for byte (deflated text, stored random bytes, UTF-8 names, empty files)", () => {
    const text = Buffer.from(`${"Lesson plan line\n".repeat(500)}`);
    const noise = randomBytes(4096);
    const file = join(dir, "t.zip");
    writeFileSync(
      file,
      zip([
        { name: "data/plan.json", data: text },
        { name: "documents/Núñez – notes.md", data: Buffer.from("é") },
        { name: "documents/noise.bin", data: noise },
        { name: "empty.txt", data: Buffer.alloc(0) },
      ]),
    );
    expect(unzip(["-t", "t.zip"]).toString()).toContain("No errors detected");
    expect(unzip(["-Z1", "t.zip"]).toString().trim().split("\n")).toEqual([
      "data/plan.json",
      "documents/Núñez – notes.md",
      "documents/noise.bin",
      "empty.txt",
    ]);
    // -Z -v names each entry's method: the text deflated, the random bytes (which deflate cannot shrink) stored.
    const methods = [
      ...unzip(["-Z", "-v", "t.zip"])
        .toString()
        .matchAll(/compression method:\s+(\w+)/g),
    ].map((m) => m[1]);
    expect(methods).toEqual(["deflated", "none", "none", "none"]);
    expect(unzip(["-p", "t.zip", "data/plan.json"]).equals(text)).toBe(true);
    expect(unzip(["-p", "t.zip", "documents/noise.bin"]).equals(noise)).toBe(true);
    expect(unzip(["-p", "t.zip", "documents/Núñez – notes.md"]).toString()).toBe("é");
  });
});
