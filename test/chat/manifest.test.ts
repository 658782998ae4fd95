// The Slack manifest's usage hints come from the templates' field tables: every key a hint shows is one
// the parser accepts, and a field added to a template shows up here (update manifest.json to the message).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { commandSpecs } from "../../src/chat/commands.ts";
import { conversationFields, findField } from "../../src/conversation/fields.ts";
import { loadTemplates } from "../../src/templates/index.ts";
import { repoRoot } from "../cli/helpers.ts";

type Manifest = { features: { slash_commands: { command: string; usage_hint: string }[] } };

describe("manifest usage hints", () => {
  test("match the field tables, and every key they show is accepted by the parser", async () => {
    const { templates } = await loadTemplates();
    const builtin = templates.filter((t) => t.source === "builtin");
    const specs = commandSpecs(builtin);
    const manifest = JSON.parse(readFileSync(join(repoRoot, "manifest.json"), "utf8")) as Manifest;
    for (const template of builtin) {
      if (template.id === "demo-lesson") continue;
      const entry = manifest.features.slash_commands.find((c) => c.command === `/${template.command}`);
      const usage = specs.find((s) => s.name === template.command)!.usage.replace(/^\/\S+ /, "");
      expect(entry?.usage_hint, `manifest.json usage_hint of /${template.command} should be: ${usage}`).toBe(usage);
      const fields = conversationFields(template.inputSchema);
      for (const key of usage.matchAll(/(?:^| |\[)([a-z][a-z-]*)(?=[:\] ])/g)) {
        if (["or", "say", "it", "in", "words"].includes(key[1]!)) continue;
        expect(findField(fields, key[1]!), `/${template.command} hint key ${key[1]}`).toBeDefined();
      }
    }
  });
});
