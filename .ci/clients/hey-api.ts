// The same journey over the SDK @hey-api/openapi-ts generates from docs/openapi.json (as
// `./hey`): register → sign in (a TokenPair, or MfaRequired then the challenge) → /me →
// upload → list files. `tsc --strict` must accept it with no cast at all; .ci/conformance also
// runs it against a live server.
import { client } from "./hey/client.gen";
import { getMe, listFiles, login, mfaChallenge, register, uploadFile } from "./hey/sdk.gen";
import type { Problem, TokenPair } from "./hey/types.gen";

function failed(step: string, problem: Problem | undefined): Error {
  return new Error(`${step}: ${problem?.code ?? "no problem body"}`);
}

export async function journey(
  baseUrl: string,
  email: string,
  password: string,
  totpCode: (mfaToken: string) => Promise<string>,
): Promise<string[]> {
  client.setConfig({ baseUrl });

  const registered = await register({ body: { email, password, name: "Client Journey" } });
  if (!registered.data) throw failed("register", registered.error);

  const signedIn = await login({ body: { email, password } });
  if (!signedIn.data) throw failed("login", signedIn.error);
  let pair: TokenPair;
  if ("mfa_required" in signedIn.data) {
    const mfaToken: string = signedIn.data.mfa_token;
    const challenge = await mfaChallenge({
      body: { mfa_token: mfaToken, code: await totpCode(mfaToken) },
    });
    if (!challenge.data) throw failed("mfa challenge", challenge.error);
    pair = challenge.data;
  } else {
    pair = signedIn.data;
  }
  const bearer: "Bearer" = pair.token_type;
  client.setConfig({ baseUrl, auth: () => pair.access_token });

  const me = await getMe();
  if (!me.data) throw failed("me", me.error);
  const avatar: string | null | undefined = me.data.avatar_url;

  const file = new Blob(["hello from a generated client\n"], { type: "text/plain" });
  const uploaded = await uploadFile({ body: { file: new File([file], "hello.txt") } });
  if (!uploaded.data) throw failed("upload", uploaded.error);

  const files = await listFiles({ query: { limit: 10 } });
  if (!files.data) throw failed("list files", files.error);
  return [bearer, me.data.email, String(avatar), ...files.data.items.map((f) => `${f.name} ${f.size}`)];
}
