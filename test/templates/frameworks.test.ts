// Which standards framework covers which subject: one rule for forms and the request check.
import { describe, expect, test } from "vitest";
import { frameworkFitsSubject } from "../../src/templates/standards/frameworks.ts";

describe("frameworkFitsSubject", () => {
  const cases: [string, string, boolean][] = [
    ["NGSS", "Science", true],
    ["NGSS", "Grade 5 science", true],
    ["NGSS", "Biology", true],
    ["NGSS", "Physical science", true],
    ["NGSS", "Math", false],
    ["NGSS", "ELA", false],
    ["NGSS", "History", false],
    ["CCSS", "Math", true],
    ["CCSS", "Mathematics", true],
    ["CCSS", "Algebra 1", true],
    ["CCSS", "ELA", true],
    ["CCSS", "English", true],
    ["CCSS", "Reading", true],
    ["CCSS", "Social studies", true],
    ["CCSS", "Science", false],
    ["CCSS", "Art", false],
    ["state", "Art", true],
    ["state", "Science", true],
    ["none", "Math", true],
  ];
  for (const [framework, subject, fits] of cases)
    test(`${framework} ${fits ? "fits" : "does not fit"} ${subject}`, () => {
      expect(frameworkFitsSubject(framework, subject)).toBe(fits);
    });
});
