// Public surface of the chat core: the contract surfaces implement and call, and the factory the app uses.

export type { FieldExtractor } from "../conversation/extract.ts";
export { commandSpecs, STAFFROOM_SUBCOMMANDS } from "./commands.ts";
export type * from "./contract.ts";
export { type ChatCoreOptions, createChatCore } from "./dispatcher.ts";
export { type ChatStores, chatOwners, chatStores } from "./forget.ts";
