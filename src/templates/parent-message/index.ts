// The parent-message template: analyze -> draft in English -> translate when a target language is asked for.
import { z } from "zod";
import type { ExecutionView } from "../../engine/records.ts";
import { WorkflowDefinition, type WorkflowDefinitionInput } from "../../engine/schema.ts";
import { choiceField, optional, textField } from "../fields.ts";
import { filenameFor, offlineNote, oneLine, outputOf } from "../markdown.ts";
import { splitList } from "../text.ts";
import type { Drafter, FieldMeta, RenderedDocument, Template } from "../types.ts";

export const PARENT_TONES = ["warm", "formal", "neutral", "celebratory", "concerned"] as const;
const TONE_LABELS: Record<(typeof PARENT_TONES)[number], string> = {
  warm: "Warm",
  formal: "Formal",
  neutral: "Neutral",
  celebratory: "Celebratory",
  concerned: "Concerned",
};

const NO_TRANSLATION = new Set(["", "en", "english", "none", "no", "n/a", "-"]);

const languageMeta: FieldMeta = {
  label: "Target language",
  question: "Should it also be translated? Into which language?",
  help: "Optional. The message is always written in English; name a language (Spanish, Vietnamese, Arabic...) for a translation too.",
  example: "Spanish",
  aliases: ["language", "lang", "translate", "translation", "in"],
  absent: "English only",
};

export const ParentMessageInputs = z.object({
  purpose: textField(
    {
      label: "Purpose",
      question: "What is the message about?",
      help: "The reason for writing, in a phrase: an upcoming event, progress, a concern, a celebration...",
      example: "Invite families to the science fair on May 14",
      aliases: ["about", "topic", "reason", "re", "subject"],
    },
    { min: 3, max: 300 },
  ),
  keyPoints: textField(
    {
      label: "Key points",
      question: "What must the message say?",
      help: "The facts to include: dates, times, what families should do. One per line or separated by semicolons.",
      example: "Thursday May 14, 5-7pm in the gym; students present their projects; bring a snack to share if you can; RSVP by May 10",
      aliases: ["points", "details", "say", "info", "message"],
      multiline: true,
    },
    { min: 3, max: 3000 },
  ),
  tone: optional(
    choiceField(PARENT_TONES, TONE_LABELS, {
      label: "Tone",
      question: "Which tone?",
      help: "Warm (the default), formal, neutral, celebratory or concerned.",
      example: "warm",
      absent: "a warm tone",
    }),
  ),
  targetLanguage: optional(
    z
      .preprocess((v) => {
        if (typeof v !== "string") return v;
        const t = v.trim();
        if (NO_TRANSLATION.has(t.toLowerCase())) return undefined;
        return t.charAt(0).toUpperCase() + t.slice(1);
      }, z.string().min(2, "Name the language, e.g. Spanish.").max(40, "Name the language in a word or two.").optional())
      .meta(languageMeta),
  ),
});
export type ParentMessageInputs = z.infer<typeof ParentMessageInputs>;

const Analysis = z.object({
  audience: z.string().max(300),
  mainMessage: z.string().min(1).max(600),
  keyPoints: z.array(z.string().min(1).max(400)).min(1).max(10),
  callToAction: z.string().max(400),
  avoid: z.array(z.string().max(300)).max(5),
});
type Analysis = z.infer<typeof Analysis>;
const Draft = z.object({ subject: z.string().min(1).max(200), message: z.string().min(1).max(5000) });
type Draft = z.infer<typeof Draft>;
const Translation = z.object({
  language: z.string().min(1).max(40),
  subject: z.string().min(1).max(300),
  message: z.string().min(1).max(8000),
});
type Translation = z.infer<typeof Translation>;

const ANALYSIS = "parent-message.analysis";
const DRAFT = "parent-message.draft";
const TRANSLATION = "parent-message.translation";

export const PARENT_HEADINGS = ["Message (English)"] as const;

const SYSTEM =
  "You are a teacher writing to students' families. Write plainly (about a 6th-grade reading level), warmly and respectfully; avoid jargon and acronyms; keep every date, time and fact exactly as given.";

function definition(): WorkflowDefinitionInput {
  return {
    id: "parent-message",
    version: 1,
    title: "Parent message",
    description: "A message to families in English, and translated when asked.",
    inputs: Object.keys(ParentMessageInputs.shape),
    nodes: [
      {
        id: "analyze",
        kind: "agent",
        title: "Analyze",
        in: { purpose: "inputs.purpose", keyPoints: "inputs.keyPoints", tone: "inputs.tone" },
        system: SYSTEM,
        prompt: [
          "Plan a message to families.",
          "Purpose: {{purpose}}",
          "Key points (keep every fact): {{keyPoints}}",
          "Tone: {{tone}} (warm when empty)",
          "Return the audience, the one-sentence main message, the key points as a list, the call to action, and things to avoid (jargon, blame, sensitive details).",
        ].join("\n"),
        outputSchema: ANALYSIS,
        temperature: 0.3,
        next: ["draft"],
      },
      {
        id: "draft",
        kind: "agent",
        title: "Draft",
        in: { analysis: "nodes.analyze", purpose: "inputs.purpose", keyPoints: "inputs.keyPoints", tone: "inputs.tone" },
        system: SYSTEM,
        prompt: [
          "Write the message to families in English.",
          "Purpose: {{purpose}}",
          "Key points (keep every fact exactly): {{keyPoints}}",
          "Plan: {{analysis}}",
          "Tone: {{tone}} (warm when empty). Under 200 words, short paragraphs, a greeting and a sign-off with [Your name]. Return a subject line and the message.",
        ].join("\n"),
        outputSchema: DRAFT,
        temperature: 0.5,
        next: ["check"],
      },
      {
        id: "check",
        kind: "condition",
        title: "Translation needed?",
        branches: [{ when: [{ path: "inputs.targetLanguage", op: "exists" }], to: "translate" }],
      },
      {
        id: "translate",
        kind: "agent",
        title: "Translate",
        in: { draft: "nodes.draft", language: "inputs.targetLanguage" },
        system:
          "You are a professional school translator. Translate faithfully and naturally for families; keep names, dates, times and [Your name] unchanged.",
        prompt: [
          "Translate this message to families into {{language}}.",
          "Subject: {{draft.subject}}",
          "Message:",
          "{{draft.message}}",
          "Return the language, the translated subject and the translated message.",
        ].join("\n"),
        outputSchema: TRANSLATION,
        temperature: 0.2,
      },
    ],
  };
}

const GREETINGS: Record<string, string> = {
  warm: "Dear families,",
  formal: "Dear parents and guardians,",
  neutral: "Dear families,",
  celebratory: "Dear families,",
  concerned: "Dear parents and guardians,",
};
const OPENERS: Record<string, string> = {
  warm: "I hope you are all well!",
  formal: "",
  neutral: "",
  celebratory: "I have some wonderful news to share!",
  concerned: "I am writing because I would value your help.",
};

/**
 * The purpose as an opening sentence. Teachers often write it as an instruction to us ("Invite families to
 * the science fair"), so common verbs are turned around to speak to families.
 */
export function purposeSentence(purpose: string): string {
  const p = purpose.trim().replace(/[.!]+$/, "");
  const rest = (re: RegExp) => p.replace(re, "").trim();
  if (/^invite\b/i.test(p))
    return `I would like to invite you ${rest(/^invite\s+(all\s+)?(the\s+)?(families|parents|guardians|you)?\s*/i)}.`;
  if (/^(remind|reminder)\b/i.test(p))
    return `This is a friendly reminder ${rest(/^(remind\s+(families|parents|guardians|you)?|reminder)\s*/i).replace(/^(of|about|that)?\s*/i, (m) => (m.trim() ? `${m.trim()} ` : "about "))}.`;
  if (/^thank\b/i.test(p)) return `I want to thank you ${rest(/^thank\s+(families|parents|guardians|you)?\s*/i)}.`;
  if (/^(inform|tell|let)\b/i.test(p))
    return `I am writing to let you know ${rest(/^(inform|tell|let)\s+(families|parents|guardians|you)?\s*(know\s*)?/i)}.`;
  if (/^(share|announce|update|celebrate|ask|request|explain|introduce|welcome)\b/i.test(p)) {
    const verb = p.split(/\s+/)[0]!.toLowerCase();
    return `I am writing to ${verb} ${rest(/^\w+\s*/)}.`.replace(/\s+\./, ".");
  }
  return `I am writing about ${lowerFirst(p)}.`;
}

const CLOSERS: Record<string, string> = {
  warm: "Thank you, as always, for your support. Please reach out with any questions.",
  formal: "Please do not hesitate to contact me with any questions.",
  neutral: "Please contact me if you have any questions.",
  celebratory: "Thank you for everything you do to support our students. Let's celebrate together!",
  concerned: "I would welcome the chance to talk. Please reply to this message or call the school so we can find a time.",
};

const lowerFirst = (s: string) => (/^[A-Z][a-z]/.test(s) ? s.charAt(0).toLowerCase() + s.slice(1) : s);

/** "Invite families to the fair" -> "You're invited: the fair"; "Remind parents about forms" -> "Reminder: forms". */
function subjectLine(purpose: string): string {
  const invite = /^invite\s+(?:all\s+)?(?:the\s+)?(?:families|parents|guardians|you)?\s*(?:to\s+)?(.+)$/i.exec(purpose);
  if (invite?.[1]) return `You're invited: ${invite[1]}`;
  const remind = /^(?:remind(?:\s+(?:families|parents|guardians|you))?|reminder)\s+(?:of|about|that)?\s*(.+)$/i.exec(purpose);
  if (remind?.[1]) return `Reminder: ${remind[1]}`;
  return purpose.charAt(0).toUpperCase() + purpose.slice(1);
}

const drafters: Record<string, Drafter> = {
  [ANALYSIS]: (vars): Analysis => {
    const points = splitList(String(vars.keyPoints ?? ""));
    const action = points.find((p) => /\b(rsvp|please|sign|return|bring|reply|by \w+|contact|register)\b/i.test(p));
    return {
      audience: "Families and guardians of students in the class",
      mainMessage: String(vars.purpose ?? ""),
      keyPoints: points.length > 0 ? points : [String(vars.keyPoints ?? "")],
      callToAction: action ?? "",
      avoid: ["Jargon and acronyms", "Details about individual students"],
    };
  },
  [DRAFT]: (vars): Draft => {
    const tone = typeof vars.tone === "string" ? vars.tone : "warm";
    const purpose = String(vars.purpose ?? "").replace(/[.!]$/, "");
    const analysis = vars.analysis as Analysis | undefined;
    const points = analysis?.keyPoints ?? splitList(String(vars.keyPoints ?? ""));
    const action = analysis?.callToAction;
    const body = [
      GREETINGS[tone] ?? GREETINGS.warm!,
      [OPENERS[tone] ?? "", purposeSentence(purpose)].filter(Boolean).join(" "),
      `Here is what you need to know:\n${points.map((p) => `- ${p.charAt(0).toUpperCase()}${p.slice(1).replace(/[.;]$/, "")}`).join("\n")}`,
      action ? `Please remember: ${action.replace(/[.;]$/, "")}.` : "",
      CLOSERS[tone] ?? CLOSERS.warm!,
      "Kind regards,\n[Your name]",
    ];
    return { subject: subjectLine(purpose), message: body.filter(Boolean).join("\n\n") };
  },
  // No translation without a model: say so plainly rather than pretend.
  [TRANSLATION]: (vars): Translation => {
    const draft = vars.draft as Draft | undefined;
    const language = String(vars.language ?? "the target language");
    return {
      language,
      subject: draft?.subject ?? "",
      message: `No AI model is configured, so this message was not translated into ${language}. Use your school's translation service, or ask your admin to configure a model and run this again.`,
    };
  },
};

function renderParentMessage(view: ExecutionView): RenderedDocument {
  const inputs = view.inputs as Record<string, unknown>;
  const purpose = oneLine(String(inputs.purpose ?? "Message"));
  const draft = outputOf<Draft>(view, "draft");
  const translation = outputOf<Translation>(view, "translate");
  const language = typeof inputs.targetLanguage === "string" ? inputs.targetLanguage : undefined;
  const lines = [`# Message to families: ${purpose}`, "", ...offlineNote(view), "## Message (English)"];
  lines.push(draft ? `**Subject:** ${oneLine(draft.subject)}\n\n${draft.message.trim()}` : "_Not drafted._", "");
  if (language) {
    lines.push(`## Message (${language})`);
    lines.push(translation ? `**Subject:** ${oneLine(translation.subject)}\n\n${translation.message.trim()}` : "_Not translated._", "");
  }
  return { title: `Message to families: ${purpose}`, markdown: lines.join("\n"), filename: filenameFor("parent-message", purpose) };
}

function renderParentStep(nodeId: string, output: unknown): string | undefined {
  if (nodeId === "draft") return `English draft ready: "${oneLine((output as Draft).subject)}".`;
  if (nodeId === "translate") return `Translation into ${(output as Translation).language} ready.`;
  return undefined;
}

export function parentMessageTemplate(): Template {
  return {
    id: "parent-message",
    command: "parent-message",
    title: "Parent message",
    description: "Write a message to families in plain English, translated into another language when you ask.",
    inputSchema: ParentMessageInputs,
    workflow: {
      definition: WorkflowDefinition.parse(definition()),
      inputSchema: ParentMessageInputs,
      schemas: { [ANALYSIS]: Analysis, [DRAFT]: Draft, [TRANSLATION]: Translation },
    },
    drafters,
    render: renderParentMessage,
    renderStep: renderParentStep,
    studentData: false,
  };
}
