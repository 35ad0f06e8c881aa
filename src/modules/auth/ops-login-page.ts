/** The ops dashboard's sign-in page: a plain form (no script, so the CSP stays strict). Pure. */

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export function opsLoginPage(action: string, error?: string): string {
  const message = error ? `<p role="alert" class="error">${escapeHtml(error)}</p>` : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Eshtarek ops — sign in</title>
<style>
  body { font-family: system-ui, sans-serif; background: #f4f5f7; display: grid; place-items: center; min-height: 100vh; margin: 0; }
  form { background: #fff; padding: 2rem; border-radius: 8px; box-shadow: 0 1px 4px #0002; width: 20rem; }
  label { display: block; margin-top: 1rem; font-size: .9rem; }
  input { width: 100%; box-sizing: border-box; padding: .5rem; margin-top: .25rem; }
  button { margin-top: 1.5rem; width: 100%; padding: .6rem; }
  .error { color: #b00020; }
</style>
</head>
<body>
<form method="post" action="${escapeHtml(action)}">
  <h1>Eshtarek ops</h1>
  <p>Platform admins only.</p>
  ${message}
  <label>Email <input name="email" type="email" autocomplete="username" required maxlength="254"></label>
  <label>Password <input name="password" type="password" autocomplete="current-password" required maxlength="200"></label>
  <button type="submit">Sign in</button>
</form>
</body>
</html>
`;
}
