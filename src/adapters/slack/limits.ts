// Slack's documented Block Kit and message limits, with a small safety margin where Slack counts differently
// (it measures some limits in UTF-16 units after escaping). One place so render.ts and tests agree.

export const LIMITS = {
  /** Section block `text` (mrkdwn). Slack: 3,000. */
  sectionText: 3000,
  /** Header block `text` (plain_text). Slack: 150. */
  headerText: 150,
  /** Blocks in one message. Slack: 50. */
  blocksPerMessage: 50,
  /** Characters of block text in one message; Slack truncates message text at about 40,000. */
  messageText: 36_000,
  /** Top-level `text` fallback we send alongside blocks (notifications, screen readers). */
  fallbackText: 3000,
  /** Elements in one actions block. Slack: 25. */
  actionsPerBlock: 25,
  /** Button label (plain_text). Slack: 75. */
  buttonText: 75,
  /** Button value. Slack: 2,000. */
  buttonValue: 2000,
  /** action_id. Slack: 255. */
  actionId: 255,
  /** Options in a static_select. Slack: 100. */
  selectOptions: 100,
  /** Option value in a select. Slack: 150. */
  optionValue: 150,
  /** Context block element text. Slack: 3,000 (we use it for short notes only). */
  contextText: 3000,
} as const;

/** More choices than this are shown as a select menu instead of a row of buttons. */
export const MAX_BUTTON_CHOICES = 5;
