// Offline drafts for student feedback, built only from the redacted work: strengths with quoted evidence,
// next steps from simple checks (reasons, evidence, conclusion, length, scores), and a message in the chosen tone.
import { INSTRUCTION_VAR } from "../../privacy/fence.ts";
import type { Drafter } from "../types.ts";
import { PLACEHOLDER } from "./names.ts";
import { ANALYSIS, type Analysis, type Draft, MESSAGE, type Message, REVISION } from "./schemas.ts";

const str = (v: unknown): string => (typeof v === "string" ? v.trim() : "");

function sentences(text: string): string[] {
  return text
    .replace(/\s+/g, " ")
    .split(/(?<=[.!?])\s+/)
    .map((s) => s.trim())
    .filter((s) => s.split(" ").length >= 3);
}

function quote(sentence: string): string {
  const s = sentence.length > 140 ? `${sentence.slice(0, 137).replace(/\s+\S*$/, "")}...` : sentence;
  return `"${s}"`;
}

/** "Q1: 3/4", "Question 2 - 1 out of 4", "Claim: 2/4" -> scored items. */
export function parseScores(text: string): { label: string; score: number; max: number }[] {
  const items: { label: string; score: number; max: number }[] = [];
  const re = /([A-Za-z][\w ()#'-]{0,40}?)\s*[:=\-–]?\s*(\d+(?:\.\d+)?)\s*(?:\/|out of)\s*(\d+(?:\.\d+)?)/g;
  for (const m of text.matchAll(re)) {
    const max = Number(m[3]);
    if (max > 0) items.push({ label: m[1]!.trim(), score: Number(m[2]), max });
  }
  return items;
}

const REASON = /\b(because|since|so that|this shows|therefore)\b/i;
const EVIDENCE = /\b(for example|for instance|such as|according to|\d+%|in the text|the author)\b/i;
const LINKING = /\b(first|second|also|another|finally|however|in addition|next|then)\b/i;
const CONCLUSION = /\b(in conclusion|to sum up|overall|that is why|this is why|in the end)\b/i;

export const draftAnalysis: Drafter = (vars): Analysis => {
  const work = str(vars.work);
  const focus = str(vars.focus);
  const rubric = str(vars.rubric);
  const scores = parseScores(work);
  if (scores.length >= 2) {
    const ratio = (s: { score: number; max: number }) => s.score / s.max;
    const strong = scores.filter((s) => ratio(s) >= 0.75);
    const weak = scores.filter((s) => ratio(s) < 0.6).sort((a, b) => ratio(a) - ratio(b));
    const total = scores.reduce((a, s) => a + s.score, 0);
    const max = scores.reduce((a, s) => a + s.max, 0);
    const strengths = (strong.length > 0 ? strong : [...scores].sort((a, b) => ratio(b) - ratio(a)).slice(0, 1)).slice(0, 3).map((s) => ({
      point: `You are secure on ${s.label}.`,
      evidence: `${s.score}/${s.max}`,
    }));
    const nextSteps = (weak.length > 0 ? weak : [...scores].sort((a, b) => ratio(a) - ratio(b)).slice(0, 1)).slice(0, 3).map((s) => ({
      point: `Revisit ${s.label}.`,
      how: "Redo one similar question with a worked example beside you, then try one on your own and check it.",
    }));
    if (focus)
      nextSteps.unshift({ point: `Focus on ${focus}.`, how: "Pick one question where this matters and correct it, explaining each step." });
    return { strengths, nextSteps: nextSteps.slice(0, 4), overall: `Scored ${total} of ${max} (${Math.round((total / max) * 100)}%).` };
  }

  const all = sentences(work);
  const words = work.split(/\s+/).filter(Boolean).length;
  const strengths: Analysis["strengths"] = [];
  const used = new Set<string>();
  // Each strength quotes a different sentence.
  const find = (re: RegExp) => all.find((s) => re.test(s) && !used.has(s));
  const take = (sentence: string | undefined, point: string) => {
    if (!sentence) return;
    used.add(sentence);
    strengths.push({ point, evidence: quote(sentence) });
  };
  const opening = all[0];
  if (opening && REASON.test(opening)) take(opening, "You state your main point early and give a reason for it.");
  else take(opening, "You respond directly to the task and make your main point early.");
  const reason = all.find((s) => REASON.test(s));
  if (reason && !used.has(reason)) take(reason, "You give reasons for your ideas.");
  const evidence = all.find((s) => EVIDENCE.test(s));
  if (evidence && !used.has(evidence)) take(evidence, "You back up a point with an example or evidence.");
  take(find(LINKING), "You use linking words to organise your ideas.");
  if (strengths.length === 0) strengths.push({ point: "You made a start on the task and put your ideas down.", evidence: "" });

  const auto: Analysis["nextSteps"] = [];
  if (!evidence)
    auto.push({
      point: "Support each reason with a specific example or piece of evidence.",
      how: 'After each reason, add a sentence that starts "For example," or "In the text,".',
    });
  if (!reason)
    auto.push({ point: "Explain why each idea is true.", how: 'Add "because..." to your main points so the reader sees your thinking.' });
  if (!CONCLUSION.test(work))
    auto.push({
      point: "Add a conclusion that sums up your point.",
      how: 'Finish with a sentence that starts "That is why..." or "Overall,...".',
    });
  if (words < 80)
    auto.push({
      point: "Develop your ideas with more detail.",
      how: "Add two or three sentences that describe or explain your strongest idea.",
    });
  if (rubric) {
    const criterion = rubric.split(/\n|;/)[0]?.trim();
    if (criterion)
      auto.push({
        point: `Check your work against the criterion "${criterion}".`,
        how: "Underline where you meet it, and add what is missing.",
      });
  }
  const nextSteps: Analysis["nextSteps"] = [];
  if (focus) {
    // The teacher's focus leads; a matching automatic step supplies the "how" instead of repeating it.
    const focusWords = new Set(focus.toLowerCase().match(/[a-z]{4,}/g) ?? []);
    const match = auto.findIndex((a) =>
      (a.point.toLowerCase().match(/[a-z]{4,}/g) ?? []).some(
        (w) => focusWords.has(w) || focusWords.has(`${w}s`) || focusWords.has(w.replace(/s$/, "")),
      ),
    );
    const how = match >= 0 ? `${auto[match]!.point} ${auto[match]!.how}` : "Choose one part of your work and rewrite it with this in mind.";
    if (match >= 0) auto.splice(match, 1);
    nextSteps.push({ point: `Focus on ${focus.replace(/[.]$/, "")}.`, how });
  }
  nextSteps.push(...auto);
  if (nextSteps.length === 0)
    nextSteps.push({ point: "Push your strongest idea further.", how: "Add a counter-argument and explain why your view still holds." });
  return {
    strengths: strengths.slice(0, 4),
    nextSteps: nextSteps.slice(0, 3),
    overall: `${words} words across ${all.length} sentence${all.length === 1 ? "" : "s"}.`,
  };
};

const GREETING: Record<string, (who: string) => string> = {
  warm: (who) => `Hi ${who},`,
  encouraging: (who) => `Hi ${who}!`,
  direct: (who) => `${who},`,
  formal: (who) => `Dear ${who},`,
};
const OPENING: Record<string, (task: string) => string> = {
  warm: (task) => `Thank you for your work on ${task}. I enjoyed reading it.`,
  encouraging: (task) => `Great effort on ${task}! You should be proud of the progress you are making.`,
  direct: (task) => `Here is my feedback on ${task}.`,
  formal: (task) => `Thank you for submitting ${task}. Please find my feedback below.`,
};
const CLOSING: Record<string, string> = {
  warm: "I'm looking forward to seeing your next draft.",
  encouraging: "Keep going: you are on the right track, and I can't wait to see what you do next!",
  direct: "Make these changes and hand it back to me.",
  formal: "Please let me know if you would like to discuss this feedback.",
};

/** "Write a paragraph arguing whether..." -> `"Write a paragraph arguing whether..."` kept short. */
function taskName(assignment: string): string {
  const first = (assignment.split(/(?<=[.!?])\s/)[0] ?? assignment).replace(/[.!?]$/, "");
  return first.length > 70 ? "this assignment" : `"${first}"`;
}

const lowerFirst = (s: string) => s.charAt(0).toLowerCase() + s.slice(1);
const noStop = (s: string) => s.replace(/[.!]\s*$/, "");

export const draftMessage: Drafter = (vars): Message => {
  const analysis = vars.analysis as Analysis | undefined;
  const tone = str(vars.tone) || "warm";
  const who = str(vars.placeholder) || PLACEHOLDER;
  const task = taskName(str(vars.assignment));
  const strengths = (analysis?.strengths ?? []).slice(0, 2).map((s) => lowerFirst(noStop(s.point)));
  const steps = (analysis?.nextSteps ?? []).slice(0, 2);
  const paragraphs = [
    (GREETING[tone] ?? GREETING.warm!)(who),
    (OPENING[tone] ?? OPENING.warm!)(task),
    strengths.length > 0 ? `What is working well: ${strengths.join(", and ")}.` : "",
    steps.length > 0 ? `Next steps:\n${steps.map((n, i) => `${i + 1}. ${noStop(n.point)}. ${n.how}`).join("\n")}` : "",
    CLOSING[tone] ?? CLOSING.warm!,
  ];
  return { message: paragraphs.filter(Boolean).join("\n\n") };
};

/** Sections of a rendered feedback document (when the previous draft is one), else the whole text as the message. */
export function parsePreviousDraft(text: string): Draft {
  const section = (heading: string) => {
    const m = new RegExp(`^## ${heading}\\s*\\n([\\s\\S]*?)(?=^## |$(?![\\s\\S]))`, "m").exec(text);
    return m ? m[1]!.trim() : undefined;
  };
  const list = (body: string | undefined) =>
    (body ?? "")
      .split("\n")
      .map((l) => l.replace(/^\s*[-*]\s+/, "").trim())
      .filter(Boolean);
  const message = section("Message to the student") ?? text.trim();
  const strengths = list(section("Strengths"));
  const nextSteps = list(section("Next steps"));
  return {
    strengths: strengths.length > 0 ? strengths : ["See the message."],
    nextSteps: nextSteps.length > 0 ? nextSteps : ["See the message."],
    message,
  };
}

/** Applies the instructions it can recognise (shorter, more formal, warmer); a model handles anything else. */
export const draftRevision: Drafter = (vars): Draft => {
  const previous = parsePreviousDraft(str(vars.previousDraft));
  const instruction = str(vars[INSTRUCTION_VAR]).toLowerCase();
  let message = previous.message;
  const paragraphs = message.split(/\n{2,}/);
  if (/short|brief|concise|less/.test(instruction) && paragraphs.length > 3) {
    // Drop the pleasantry after the greeting and keep only the first item of any numbered list.
    message = [paragraphs[0], ...paragraphs.slice(2)].map((p) => (p ?? "").replace(/\n2\.[\s\S]*$/, "")).join("\n\n");
  }
  if (/formal/.test(instruction)) message = message.replace(/^(Hi|Hello)\s+([^\n,!]+)[,!]/, "Dear $2,");
  if (/warm|friendl|kind|softer/.test(instruction)) message = message.replace(/^Dear\s+([^\n,]+),/, "Hi $1,");
  return { ...previous, message };
};

export const feedbackDrafters: Record<string, Drafter> = { [ANALYSIS]: draftAnalysis, [MESSAGE]: draftMessage, [REVISION]: draftRevision };
