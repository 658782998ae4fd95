// Public surface of the guided conversation: request parsing, the question state machine, teacher profiles.
export { createModelExtractor, type ExtractorOptions, type FieldExtractor } from "./extract.ts";
export { type ConversationField, checkField, conversationFields, displayValue } from "./fields.ts";
export {
  type Answer,
  answer,
  assumedLine,
  assumptions,
  type ConversationSpec,
  type ConversationState,
  type Prompt,
  type PromptOption,
  reprompt,
  startChange,
  startConversation,
  type Turn,
  templateHelp,
} from "./machine.ts";
export { KNOWN_SUBJECTS, MAX_REQUEST_CHARS, type ParsedRequest, parsePairs, parseRequest } from "./parse.ts";
export {
  describeProfile,
  type Profile,
  ProfileSchema,
  ProfileStore,
  parseProfileEdit,
  profileFromInputs,
  profileValuesFor,
  rememberedFor,
  rememberValues,
} from "./profile.ts";
export { type ConversationKey, ConversationStore, type StoredConversation } from "./store.ts";
