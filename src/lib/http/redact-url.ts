const SECRET_PARAM = /(token|key|secret|pass|password|auth|sig|signature|credential)/i;

/**
 * The URL as it may appear in logs, manifests and reports: no user:password and the
 * values of secret-looking query parameters masked.
 */
export function redactUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return '<invalid URL>';
  }
  if (url.username || url.password) {
    url.username = url.username ? '***' : '';
    url.password = '';
  }
  for (const name of [...url.searchParams.keys()]) {
    if (SECRET_PARAM.test(name)) url.searchParams.set(name, '***');
  }
  return url.toString();
}
