// The shape the CASE and Learning Commons importers produce before load.ts checks each item like a row.

/** One standard as read from an external format, before validation. */
export type ImportedItem = {
  /** Where in the file: "CFItems[3] (uuid)" or "line 12". */
  where: string;
  framework: string;
  code: string;
  /** Grade levels as the source writes them ("KG", "05", "5", "HS"). */
  levels: string[];
  subject: string;
  description: string;
  caseId?: string;
  parentCode?: string;
  attribution?: string;
};

export type ImportResult = {
  items: ImportedItem[];
  /** Items without a code: reported, not loaded. */
  skipped: { where: string; reason: string }[];
  /** Problems with the file as a whole. */
  problems: string[];
  /** The publisher's attribution or license statement, kept with the set. */
  attribution?: string;
};
