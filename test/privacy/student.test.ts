// Finding a student in an execution's text, for forget by student: any case, with or without diacritics,
// the whole name or any part, never a longer word that merely starts the same.
import { describe, expect, it } from "vitest";
import { studentMatcher, textOf } from "../../src/privacy/student.ts";

describe("studentMatcher", () => {
  const jose = studentMatcher("José Núñez");
  it.each([
    ["Reading progress of José Núñez", "jose nunez"],
    ["JOSE NUNEZ did well", "jose nunez"],
    ["jose núñez's essay", "jose nunez"],
    ["Thanks to the Núñez family", "nunez"],
    ["Ｊｏｓé wrote", "jose"],
    ["Mary-José Smith", "jose"],
  ])("finds %j", (text, found) => {
    expect(jose.find(text)).toBe(found);
  });

  it.each(["Josefina's project", "Nunezville trip", "", "jos nun"])("does not find %j", (text) => {
    expect(jose.find(text)).toBeUndefined();
  });

  it("needs a name with a part of two letters or more", () => {
    expect(studentMatcher(" ").parts).toEqual([]);
    expect(studentMatcher("A. Li").parts).toEqual(["li"]);
  });

  it("reads every string inside inputs and outputs", () => {
    expect(textOf({ a: "x", b: [1, { c: "y" }], d: null })).toBe("x\ny");
  });
});
