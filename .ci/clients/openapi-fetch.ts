// A client journey over the types openapi-typescript generates from docs/openapi.json (as
// `./schema`), with openapi-fetch: register → sign in (a TokenPair, or MfaRequired then the
// challenge) → /me → upload → list files. `tsc --strict` must accept it with no cast but the
// multipart body's; .ci/conformance also runs it against a live server.
import createClient from "openapi-fetch";
import type { components, paths } from "./schema";

type TokenPair = components["schemas"]["TokenPair"];
type ProblemCode = components["schemas"]["Problem"]["code"];

/** The code a failed call answered, for the error message. */
function failed(step: string, code: ProblemCode | undefined): Error {
  return new Error(`${step}: ${code ?? "no problem body"}`);
}

export async function journey(
  baseUrl: string,
  email: string,
  password: string,
  totpCode: (mfaToken: string) => Promise<string>,
): Promise<string[]> {
  const client = createClient<paths>({ baseUrl });

  const registered = await client.POST("/api/v1/auth/register", {
    body: { email, password, name: "Client Journey" },
  });
  if (!registered.data) throw failed("register", registered.error?.code);

  const login = await client.POST("/api/v1/auth/login", { body: { email, password } });
  if (!login.data) throw failed("login", login.error?.code);
  let pair: TokenPair;
  if ("mfa_required" in login.data) {
    const mfaToken: string = login.data.mfa_token;
    const challenge = await client.POST("/api/v1/auth/mfa/challenge", {
      body: { mfa_token: mfaToken, code: await totpCode(mfaToken) },
    });
    if (!challenge.data) throw failed("mfa challenge", challenge.error?.code);
    pair = challenge.data;
  } else {
    pair = login.data;
  }
  const bearer: "Bearer" = pair.token_type;
  const headers = { Authorization: `${bearer} ${pair.access_token}` };

  const me = await client.GET("/api/v1/me", { headers });
  if (!me.data) throw failed("me", me.error?.code);
  const avatar: string | null | undefined = me.data.avatar_url;

  const form = new FormData();
  form.append("file", new Blob(["hello from a generated client\n"], { type: "text/plain" }), "hello.txt");
  const uploaded = await client.POST("/api/v1/files", {
    headers,
    // Multipart: the one cast allowed (the generated type describes the parts, not FormData).
    body: form as unknown as components["schemas"]["FileUpload"],
    bodySerializer: (body) => body as unknown as FormData,
  });
  if (!uploaded.data) throw failed("upload", uploaded.error?.code);

  const files = await client.GET("/api/v1/files", { headers, params: { query: { limit: 10 } } });
  if (!files.data) throw failed("list files", files.error?.code);
  return [me.data.email, String(avatar), ...files.data.items.map((f) => `${f.name} ${f.size}`)];
}
