// Markdown for the Temporal UI's detail panels (a workflow's static and current details).

/**
 * The lines as one paragraph, each ending with a hard break, then a line holding only a no-break
 * space: the Temporal UI (2.42) sizes a panel to its text without the paragraph margins, which
 * cuts off the last 30 px (one line and a half) of any text taller than the panel's 100 px;
 * paragraphs of their own would also spend those margins between every two lines.
 */
export function panelMarkdown(lines: string[]): string {
  return [...lines.filter(Boolean), '\u00a0'].join('  \n');
}
