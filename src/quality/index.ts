// Quality checks as pure functions: reading level, Bloom rigor, and standard codes against a loaded set.
export { CODE_LIKE, type CodeCheck, checkCodes, codeTokens, describeCodes, looksLikeCode, removeCodes, stringsIn } from "./codes.ts";
export {
  describeReading,
  gradeNumber,
  MIN_WORDS,
  READING_TOLERANCE,
  type ReadingLevel,
  readingCounts,
  readingGrade,
  readingLevel,
  simplify,
} from "./readability.ts";
export {
  BLOOM_LEVELS,
  type BloomLevel,
  bloomByVerbs,
  describeRigor,
  HIGHER_ORDER,
  higherOrderNeeded,
  MIN_HIGHER_SHARE,
  normaliseLevel,
  type RatedItem,
  RIGOR_FROM_GRADE,
  type Rigor,
  type RigorItem,
  raiseTask,
  rateRigor,
} from "./rigor.ts";
