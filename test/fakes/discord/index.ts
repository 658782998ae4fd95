// Public surface of the fake Discord used by the Discord adapter's tests and benchmark.
export { FakeDiscord, type FakeDiscordOptions, type FaultRule, type RateLimitRule, type RestCall, startFakeDiscord } from "./server.ts";
export { DiscordSpec, discordSpec, discordSpecPath } from "./spec.ts";
export { type FakeChannel, type FakeGuild, type FakeInteraction, type FakeMessage, type FakeUser, snowflake } from "./state.ts";
