// A certified OpenID provider (npm oidc-provider) for auth/oidc's
// end-to-end test, started by the test as a child process:
//
//   PORT=<free port> CLIENT_ID=… CLIENT_SECRET=… REDIRECT_URIS=<a,b> \
//   POST_LOGOUT_REDIRECT_URIS=<a,b> node provider.mjs
//
// It prints "listening <issuer>" once it accepts connections. Any login
// signs in through its development interactions (login form, then
// consent); the account's email is <login>@<EMAIL_DOMAIN>, verified.
// Email and email_verified are only in userinfo (the default,
// conformIdTokenClaims): the relying party must read userinfo.
import Provider from 'oidc-provider';

const env = (name) => {
  const v = process.env[name];
  if (!v) {
    console.error(`provider.mjs: ${name} is required`);
    process.exit(2);
  }
  return v;
};

const port = Number(env('PORT'));
const issuer = `http://127.0.0.1:${port}`;
const domain = process.env.EMAIL_DOMAIN || 'example.org';

const provider = new Provider(issuer, {
  clients: [{
    client_id: env('CLIENT_ID'),
    client_secret: env('CLIENT_SECRET'),
    redirect_uris: env('REDIRECT_URIS').split(','),
    post_logout_redirect_uris: env('POST_LOGOUT_REDIRECT_URIS').split(','),
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
  },
  // PKCE is required of every client (the provider's default for public
  // clients only).
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  cookies: { keys: ['clinicgate-test-only-cookie-key'] },
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, email: `${id}@${domain}`, email_verified: true, name: `Test ${id}` };
      },
    };
  },
});

const server = provider.listen(port, '127.0.0.1', () => {
  console.log(`listening ${issuer}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
