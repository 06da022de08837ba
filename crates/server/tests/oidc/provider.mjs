// A real OpenID Connect provider on loopback for Plinth's end-to-end tests of social sign-in:
// the certified `oidc-provider` package with one confidential client.
//
// Environment: PORT (to listen on, 127.0.0.1), CLIENT_ID, CLIENT_SECRET, REDIRECT_URI.
// Prints one line `ready <issuer>` on standard output once it listens.
//
// Who signs in is chosen by the test through the `login_hint` parameter it adds to the
// authorization URL: `<subject>~<email>~<verified: true|false>`. The interaction (login) is
// finished at once for that account, and the client's grant of `openid email profile` is
// implied (a first-party client), so the flow is: /auth → /interaction/<uid> → /auth/<uid> →
// REDIRECT_URI?code=…&state=…, with the provider's cookies carried between the steps.
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;

function parseHint(hint) {
  const [sub, email, verified] = String(hint ?? '').split('~');
  return { sub, email, email_verified: verified === 'true' };
}

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: process.env.CLIENT_ID,
      client_secret: process.env.CLIENT_SECRET,
      redirect_uris: [process.env.REDIRECT_URI],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
  },
  // ID tokens carry the claims themselves (Plinth reads them from the ID token).
  conformIdTokenClaims: false,
  cookies: { keys: ['plinth-test-oidc-provider-cookie-key'] },
  features: { devInteractions: { enabled: false } },
  pkce: { required: () => true },
  async findAccount(_ctx, id) {
    const account = parseHint(id);
    if (!account.sub) return undefined;
    return {
      accountId: id,
      async claims() {
        return {
          sub: account.sub,
          email: account.email,
          email_verified: account.email_verified,
          name: `Test ${account.sub}`,
        };
      },
    };
  },
  async loadExistingGrant(ctx) {
    const grantId =
      ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile');
    grant.addOIDCClaims(['email', 'email_verified', 'name']);
    await grant.save();
    return grant;
  },
});

// The login step, finished at once for the account named by `login_hint`.
provider.use(async (ctx, next) => {
  if (ctx.method === 'GET' && ctx.path.startsWith('/interaction/')) {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const accountId = details.params.login_hint;
    if (!accountId) {
      ctx.status = 400;
      ctx.body = 'the test must name the account in login_hint';
      return;
    }
    await provider.interactionFinished(
      ctx.req,
      ctx.res,
      { login: { accountId } },
      { mergeWithLastSubmission: false },
    );
    ctx.respond = false;
    return;
  }
  await next();
});

provider.listen(port, '127.0.0.1', () => {
  process.stdout.write(`ready ${issuer}\n`);
});
