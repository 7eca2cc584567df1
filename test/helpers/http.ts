/** Small fetch wrappers for tests: every call goes to the real server over loopback HTTP. */
export interface HttpResult {
  status: number;
  headers: Headers;
  text: string;
  json<T = Record<string, unknown>>(): T;
}

export async function request(url: string, init: RequestInit = {}): Promise<HttpResult> {
  const response = await fetch(url, { redirect: 'manual', ...init });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: <T>() => JSON.parse(text) as T };
}

export function postForm(
  url: string,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<HttpResult> {
  return request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(fields).toString(),
  });
}

export function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<HttpResult> {
  return request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}

/** The page text without markup, for assertions on what a person reads. */
export function visibleText(html: string): string {
  return html
    .replace(/<style[\s\S]*?<\/style>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Signs in to the console as a browser would (the login page's form token, then the post); the session cookie. */
export async function consoleCookie(baseUrl: string, email: string, password: string): Promise<string> {
  const page = await fetch(`${baseUrl}/`);
  const formCookie = page.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const token = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1] ?? '';
  const login = await postForm(`${baseUrl}/login`, { _csrf: token, email, password }, { cookie: formCookie });
  const session = login.headers
    .getSetCookie()
    .find((c) => c.startsWith('lw_session='))
    ?.split(';')[0];
  if (login.status !== 303 || !session) throw new Error(`console sign-in failed: ${login.status} ${login.text}`);
  return session;
}
