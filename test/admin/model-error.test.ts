// A model endpoint whose error text echoes the prompt (teacher text) must not put it on the dashboard: the
// executions list and the execution page show the error's code and a fixed sentence, over a real socket,
// with the real openai SDK against the fake OpenAI server.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Drivers, openDrivers } from "../../src/drivers/open.ts";
import { createEngine, type Engine, WorkflowBuilder } from "../../src/engine/index.ts";
import { errorNote } from "../../src/http/admin/error-note.ts";
import { createOpenAIProvider } from "../../src/model/openai.ts";
import { type FakeOpenAI, startFakeOpenAI } from "../fakes/openai-server.ts";
import { type Api, KEY, startApi } from "../http/harness.ts";

const MARKER = "Quillfeather7731";

let fake: FakeOpenAI;
let drivers: Drivers;
let engine: Engine;
let api: Api;
let executionId = "";

beforeAll(async () => {
  fake = await startFakeOpenAI();
  drivers = await openDrivers({ storeUrl: "memory:" });
  engine = createEngine({
    executions: drivers.store.executions,
    model: createOpenAIProvider({ apiKey: "sk-test", baseURL: fake.url, model: "gpt-test" }),
    reconcileEveryMs: 0,
  });
  engine.register({ definition: new WorkflowBuilder("echo-error", 1, "Echoing endpoint").agent("draft", { prompt: "Write it." }).build() });
  fake.enqueue({ status: 400, errorMessage: `Your prompt about ${MARKER} is not allowed.` });
  const exec = await engine.start("echo-error", { inputs: {}, userId: "teacher1" });
  executionId = exec.id;
  const done = await engine.wait(exec.id, { timeoutMs: 20_000 });
  expect(done.status).toBe("failed");
  // The endpoint's text is in the stored error (the log and the API keep it): the page must not show it.
  expect(JSON.stringify(done.error)).toContain(MARKER);
  api = await startApi({ api: { engine } });
});

afterAll(async () => {
  await api?.close();
  await engine?.close();
  await drivers?.close();
  await fake?.close();
});

async function signedInCookie(): Promise<string> {
  const form = await fetch(`${api.base}/admin/login`);
  const pair = (form.headers.getSetCookie().find((c) => c.startsWith("staffroom_login=")) ?? "").split(";")[0]!;
  const posted = await fetch(`${api.base}/admin/login`, {
    method: "POST",
    redirect: "manual",
    headers: { cookie: pair, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ csrf: pair.slice("staffroom_login=".length), key: KEY }).toString(),
  });
  expect(posted.status).toBe(303);
  return (posted.headers.getSetCookie().find((c) => c.startsWith("staffroom_admin=")) ?? "").split(";")[0]!;
}

describe("a model error on the admin pages", () => {
  it("shows the code and a fixed sentence, never the endpoint's text, on the list and the execution page", async () => {
    const cookie = await signedInCookie();
    for (const path of ["/admin/executions", `/admin/executions/${executionId}`, "/admin"]) {
      const page = await fetch(`${api.base}${path}`, { headers: { cookie } });
      expect(page.status, path).toBe(200);
      const text = await page.text();
      expect(text, path).not.toContain(MARKER);
      if (path !== "/admin") {
        expect(text, path).toContain("model_request_rejected");
        expect(text, path).toContain("The model endpoint rejected the request; the server log has its status.");
      }
    }
  });

  it("keeps the app's own sentences for its own errors", () => {
    expect(errorNote({ code: "source_busy", message: "The source answered 503." })).toBe("The source answered 503.");
    expect(errorNote({ code: "model_something_new", message: MARKER })).not.toContain(MARKER);
    expect(errorNote({ code: "subworkflow_failed", message: `The sub-workflow "x" failed: ${MARKER}` })).not.toContain(MARKER);
  });
});
