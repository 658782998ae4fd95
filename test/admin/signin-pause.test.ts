// The dashboard's sign-in pause over real sockets: after ten wrong keys from one address every key is refused
// (the right one too) with 429, a sentence and Retry-After until the pause ends; wrong keys spread over many
// addresses (127.0.0.x, all loopback on Linux) pause every address. The decision itself is checked as a pure
// function below. The dashboard's clock is moved instead of sleeping.
import { afterEach, describe, expect, it } from "vitest";
import { pauseDecision, recordFailure, SIGNIN_LIMITS, SignInPause } from "../../src/http/admin/signin-pause.ts";
import { type Api, KEY, startApi } from "../http/harness.ts";
import { type PathReply, rawPath } from "../http/sockets.ts";

let api: Api | undefined;
let clock = Date.UTC(2026, 11, 5, 12);

afterEach(async () => {
  await api?.close();
  api = undefined;
});

/** One sign-in attempt from `from`: fetch the form (for its CSRF pair), then post the key. */
async function signIn(port: number, key: string, from = "127.0.0.1"): Promise<PathReply> {
  const form = await rawPath(port, "/admin/login", {}, "GET", { from });
  const setCookie = ([] as string[]).concat(form.headers["set-cookie"] ?? []);
  const pair = setCookie.find((c) => c.startsWith("staffroom_login="))?.split(";")[0] ?? "";
  const token = pair.slice("staffroom_login=".length);
  return rawPath(port, "/admin/login", { cookie: pair, "content-type": "application/x-www-form-urlencoded" }, "POST", {
    from,
    body: new URLSearchParams({ csrf: token, key }).toString(),
  });
}

const portOf = (a: Api) => Number(new URL(a.base).port);
const alert = (text: string) => /role="alert"[^>]*>([^<]*)</.exec(text)?.[1] ?? "";

describe("the admin sign-in pause over a real socket", () => {
  it("refuses the right key during the pause after ten wrong ones, with a sentence and Retry-After, and admits it after", async () => {
    api = await startApi({ api: { adminNow: () => clock } });
    const port = portOf(api);
    for (let i = 0; i < 10; i++) expect((await signIn(port, `wrong-key-${i}-000000000000`)).status).toBe(401);
    const refused = await signIn(port, KEY);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers["retry-after"])).toBe(60);
    expect(alert(refused.text)).toBe("Sign-in is paused after too many wrong keys from this address; wait 60 seconds and try again.");
    expect(refused.headers["set-cookie"]?.toString()).not.toContain("staffroom_admin=");
    clock += 30_000;
    const stillPaused = await signIn(port, KEY);
    expect(stillPaused.status).toBe(429);
    expect(stillPaused.headers["retry-after"]).toBe("30");
    clock += 30_001;
    const admitted = await signIn(port, KEY);
    expect(admitted.status).toBe(303);
    expect(admitted.headers["set-cookie"]?.toString()).toContain("staffroom_admin=");
  });

  it("pauses every address when wrong keys come spread over many addresses", async () => {
    api = await startApi({ api: { adminNow: () => clock } });
    const port = portOf(api);
    // 100 wrong keys from 20 addresses, 5 each: no address reaches its own ten.
    for (let a = 0; a < 20; a++) {
      for (let i = 0; i < 5; i++) expect((await signIn(port, `guess-${a}-${i}-000000000000`, `127.0.0.${a + 10}`)).status).toBe(401);
    }
    // A fresh address with the right key is refused: the pause is global.
    const refused = await signIn(port, KEY, "127.0.0.200");
    expect(refused.status).toBe(429);
    expect(refused.headers["retry-after"]).toBe("60");
    expect(alert(refused.text)).toContain("paused after too many wrong keys to this dashboard");
    clock += 60_001;
    expect((await signIn(port, KEY, "127.0.0.200")).status).toBe(303);
  });
});

describe("the pause decision", () => {
  const L = { ...SIGNIN_LIMITS, perAddress: 3, global: 5, windowMs: 1_000, pauseMs: 10_000 };
  const none = { failures: [], pausedUntil: 0 };

  it("starts an address pause at the limit within the window, and not for failures spread wider", () => {
    let t = recordFailure(undefined, L.perAddress, L, 0);
    t = recordFailure(t, L.perAddress, L, 100);
    expect(pauseDecision(t, none, 200)).toEqual({ paused: false });
    t = recordFailure(t, L.perAddress, L, 200);
    expect(pauseDecision(t, none, 200)).toEqual({ paused: true, scope: "address", retryAfterSeconds: 10 });
    expect(pauseDecision(t, none, 10_200)).toEqual({ paused: false });
    let slow = recordFailure(undefined, L.perAddress, L, 0);
    slow = recordFailure(slow, L.perAddress, L, 600);
    slow = recordFailure(slow, L.perAddress, L, 1_200);
    expect(pauseDecision(slow, none, 1_200)).toEqual({ paused: false });
  });

  it("pauses every address once the global ceiling is reached, and the global pause wins", () => {
    const p = new SignInPause(() => 0, L);
    for (const a of ["a", "b", "c", "d"]) expect(p.fail(a)).toEqual({ paused: false });
    expect(p.fail("e")).toEqual({ paused: true, scope: "global", retryAfterSeconds: 10 });
    expect(p.check("never-seen")).toMatchObject({ paused: true, scope: "global" });
  });
});
