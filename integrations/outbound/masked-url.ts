// How a user-configured URL is shown in API answers, errors and logs: userinfo and the fragment dropped, query values
// masked, because webhook receivers and proxies commonly take their credential there (`?token=...`, `user:pass@`).
export function maskUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return '(invalid URL)';
  }
  parsed.username = '';
  parsed.password = '';
  parsed.hash = '';
  // Names stay so a person can tell which parameters are set; every value, however short, is hidden.
  const names = [...parsed.searchParams.keys()];
  parsed.search = names.map((name) => `${encodeURIComponent(name)}=****`).join('&');
  return parsed.toString();
}
