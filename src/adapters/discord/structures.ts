// discord.js builds an interaction's structures (user, member, channel, options) in the same turn as its
// packet, before the next packet is read: in a burst that puts ~70 µs per interaction ahead of every later
// acknowledgement. This hands that work to a scheduler instead, so it runs once the burst is answered.

type Action = { handle(data: unknown): unknown };

/**
 * Routes discord.js's INTERACTION_CREATE handling through `schedule` (FIFO, so interactions keep their
 * order). It reaches into discord.js internals (client.actions), so it checks their shape first: false,
 * and nothing changed, if they are not as expected.
 */
export function deferInteractionStructures(client: object, schedule: () => Promise<void>): boolean {
  const action = (client as { actions?: { InteractionCreate?: Partial<Action> } }).actions?.InteractionCreate;
  if (!action || typeof action.handle !== "function") return false;
  const handle = action.handle.bind(action) as Action["handle"];
  action.handle = (data: unknown) => {
    void schedule().then(() => handle(data));
  };
  return true;
}

/**
 * Has discord.js build an interaction's structures from a raw payload that came over HTTP instead of the
 * Gateway (the interactions endpoint), so the same interactionCreate handlers run. False if it cannot.
 */
export function buildInteraction(client: object, raw: unknown): boolean {
  const action = (client as { actions?: { InteractionCreate?: Partial<Action> } }).actions?.InteractionCreate;
  if (!action || typeof action.handle !== "function") return false;
  action.handle(raw);
  return true;
}
