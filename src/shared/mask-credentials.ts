/** `scheme://user:password@host` → `scheme://user:***@host`, wherever it appears in a text shown to people. */
export function maskCredentials(text: string): string {
  return text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s@/]+@/gi, '$1***@');
}
