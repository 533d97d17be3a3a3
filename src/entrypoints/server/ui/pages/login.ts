import type { LoginView } from '../../auth.js';
import { html } from '../html.js';
import { ASSET_CSS, ASSET_ICON } from '../layout.js';

/** The sign-in page in the console's style; the same contract as auth.ts's default (token + next to /login). */
export const loginPage = ({ next, error }: LoginView): string =>
  html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>Sign in · docroute</title>
        <link rel="icon" href="${ASSET_ICON}" type="image/svg+xml" />
        <link rel="stylesheet" href="${ASSET_CSS}" />
      </head>
      <body>
        <main id="main" class="login">
          <h1>Sign in to docroute</h1>
          ${error ? html`<p class="error" role="alert">${error}</p>` : ''}
          <form method="post" action="/login">
            <input type="hidden" name="next" value="${next}" />
            <p>
              <label for="token">API token</label><br />
              <input id="token" name="token" type="password" autocomplete="current-password" required size="50" autofocus />
            </p>
            <p><button type="submit" class="primary">Sign in</button></p>
          </form>
          <p class="muted">
            No token? An administrator creates one with <code>docroute tokens create --name &lt;you&gt; --role reviewer</code>.
          </p>
        </main>
      </body>
    </html> `.toString();
