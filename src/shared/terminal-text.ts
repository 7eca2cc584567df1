/**
 * Text from outside (a report's diagnostic, a browser's user agent, an import source) made safe
 * to store and to print on a terminal: control characters, including the escape that starts
 * terminal sequences and C1 controls, become a space. Pure.
 */
export function withoutControls(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, ' ').replace(/[\t\n]/g, ' ');
}
