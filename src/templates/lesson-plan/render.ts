// Renders a finished lesson plan to Markdown with stable headings; the parallel content and differentiation
// steps meet here. Codes not grounded in the loaded standards set are stripped from every generated line.
import type { ExecutionView } from "../../engine/records.ts";
import { gradeLabel } from "../fields.ts";
import { allowedCodes, bullets, cell, filenameFor, offlineNote, oneLine, outputOf, plural, standardsMarkdown } from "../markdown.ts";
import type { GroundedStandards } from "../standards/match.ts";
import { stripCodesDeep } from "../standards/match.ts";
import type { RenderedDocument } from "../types.ts";
import { type Activity, type Content, type Differentiation, type Outline, SECTION_TITLES, type SectionKey } from "./schemas.ts";

export const LESSON_HEADINGS = [
  "Standards addressed",
  "Learning objectives",
  "Key vocabulary",
  "Common misconceptions",
  "Materials",
  "Timing",
  "Warm-up",
  "Direct instruction",
  "Guided practice",
  "Independent practice",
  "Assessment / exit ticket",
  "Differentiation",
] as const;

function activity(a: Activity | undefined, minutes: number | undefined): string {
  if (!a) return "_Not drafted._";
  const lines = [minutes ? `_${minutes} minutes._ ${oneLine(a.summary)}` : oneLine(a.summary)];
  if (a.teacher.length > 0) lines.push("", "**Teacher**", bullets(a.teacher));
  if (a.students.length > 0) lines.push("", "**Students**", bullets(a.students));
  if (a.check?.trim()) lines.push("", `**Check for understanding:** ${oneLine(a.check)}`);
  return lines.join("\n");
}

/** Each objective with its success criteria nested under it. */
function objectivesList(outline: Outline | undefined): string {
  if (!outline || outline.objectives.length === 0) return "_None._";
  return outline.objectives
    .map((o, i) => {
      const criteria = (outline.successCriteria?.[i] ?? []).map((c) => `   - ${oneLine(c)}`);
      return [`${i + 1}. ${oneLine(o)}`, ...criteria].join("\n");
    })
    .join("\n");
}

export function renderLessonPlan(view: ExecutionView): RenderedDocument {
  const inputs = view.inputs as Record<string, unknown>;
  const topic = String(inputs.topic ?? "Lesson");
  const grounded = outputOf<GroundedStandards>(view, "standards");
  const allowed = allowedCodes(grounded);
  const outline = stripCodesDeep(outputOf<Outline>(view, "timing") ?? outputOf<Outline>(view, "outline"), allowed);
  const content = stripCodesDeep(outputOf<Content>(view, "content"), allowed);
  const diff = stripCodesDeep(outputOf<Differentiation>(view, "differentiation"), allowed);
  const minutesOf = (key: SectionKey) => outline?.sections.find((s) => s.key === key)?.minutes;
  const language = String(inputs.language ?? "English");

  const facts = [
    `**Grade:** ${gradeLabel(inputs.grade).replace(/^./, (c) => c.toUpperCase())}`,
    `**Subject:** ${inputs.subject}`,
    `**Duration:** ${inputs.duration} minutes`,
    outline?.structure ? `**Structure:** ${oneLine(outline.structure.name)}` : undefined,
    language !== "English" ? `**Language:** ${language}` : undefined,
  ].filter(Boolean);
  const timing = outline
    ? [
        "| Section | Minutes | Focus |",
        "| --- | ---: | --- |",
        ...outline.sections.map(
          (s) => `| ${SECTION_TITLES[s.key]} | ${s.minutes} | ${s.phase ? `**${cell(s.phase)}:** ` : ""}${cell(s.focus)} |`,
        ),
        `| **Total** | **${outline.sections.reduce((a, s) => a + s.minutes, 0)}** | |`,
      ].join("\n")
    : "_Not drafted._";
  const exit = content?.exitTicket;
  const exitBody = exit
    ? [
        minutesOf("exit-ticket") ? `_${minutesOf("exit-ticket")} minutes._ ${oneLine(exit.summary)}` : oneLine(exit.summary),
        "",
        "**Questions**",
        exit.questions.map((q, i) => `${i + 1}. ${oneLine(q.question)} _(objective ${q.objective})_`).join("\n"),
        ...(exit.successCriteria.length > 0 ? ["", "**Success criteria**", bullets(exit.successCriteria)] : []),
      ].join("\n")
    : "_Not drafted._";
  const offline = offlineNote(view);
  if (view.provider === "offline" && language !== "English") {
    offline.splice(1, 0, `> Offline drafts are written in English; with a model configured the plan is written in ${language}.`, "");
  }

  const markdown = [
    `# Lesson plan: ${oneLine(outline?.title ?? topic)}`,
    "",
    ...offline,
    facts.join(" · "),
    "",
    "## Standards addressed",
    standardsMarkdown(grounded),
    "",
    "## Learning objectives",
    objectivesList(outline),
    "",
    "## Key vocabulary",
    bullets((outline?.vocabulary ?? []).map((v) => `**${oneLine(v.term)}**: ${oneLine(v.meaning)}`)),
    "",
    "## Common misconceptions",
    bullets((outline?.misconceptions ?? []).map((m) => `${oneLine(m.misconception)} _Address it:_ ${oneLine(m.correction)}`)),
    "",
    "## Materials",
    bullets(outline?.materials ?? []),
    "",
    "## Timing",
    timing,
    "",
    "## Warm-up",
    activity(content?.warmUp, minutesOf("warm-up")),
    "",
    "## Direct instruction",
    activity(content?.directInstruction, minutesOf("direct-instruction")),
    "",
    "## Guided practice",
    activity(content?.guidedPractice, minutesOf("guided-practice")),
    "",
    "## Independent practice",
    activity(content?.independentPractice, minutesOf("independent-practice")),
    "",
    "## Assessment / exit ticket",
    exitBody,
    "",
    "## Differentiation",
    "### English learners",
    bullets(diff?.ell ?? []),
    "",
    "### Additional support",
    bullets(diff?.support ?? []),
    "",
    "### Extension",
    bullets(diff?.extension ?? []),
    "",
  ].join("\n");
  return { title: `Lesson plan: ${oneLine(topic)}`, markdown, filename: filenameFor("lesson-plan", topic) };
}

/** One short line per step as results land in the thread. */
export function renderLessonStep(nodeId: string, output: unknown): string | undefined {
  switch (nodeId) {
    case "standards": {
      const g = output as GroundedStandards;
      if (g.mode === "none") return "Standards: none requested.";
      if (g.standards.length > 0) return `Standards: ${g.standards.map((s) => `**${s.code}**`).join(", ")} (from the loaded set).`;
      return g.mode === "unloaded"
        ? "Standards: no set loaded, so the plan names standards to confirm, without codes."
        : "Standards: no close match in the loaded set; the plan lists what to confirm.";
    }
    case "timing": {
      const o = output as Outline;
      const structure = o.structure?.name ? `${oneLine(o.structure.name)}: ` : "";
      return `Outline (${structure}${o.sections.map((s) => `${s.phase || SECTION_TITLES[s.key]} ${s.minutes} min`).join(" · ")})`;
    }
    case "content":
      return "Activities drafted for every section.";
    case "differentiation": {
      const d = output as Differentiation;
      return `Differentiation: ${plural(d.ell.length, "idea")} for English learners, ${d.support.length} for support, ${d.extension.length} for extension.`;
    }
    default:
      return undefined;
  }
}
