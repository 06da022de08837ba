// Runs both journeys against the server at argv[2] (compiled by tsc to CommonJS in the
// generated clients' folder, then run with node).
import { journey as viaHeyApi } from "./hey-api";
import { journey as viaOpenapiFetch } from "./openapi-fetch";

declare const process: { argv: string[]; exitCode?: number };

async function main(): Promise<void> {
  const base = process.argv[2];
  if (!base) throw new Error("usage: node run.js <base url>");
  const noTotp = async (): Promise<string> => {
    throw new Error("these accounts have no TOTP");
  };
  const password = `journey-Granite-Otter-${Date.now()}`;
  for (const [name, journey] of [
    ["openapi-fetch", viaOpenapiFetch],
    ["@hey-api/openapi-ts", viaHeyApi],
  ] as const) {
    const email = `journey-${name.replace(/\W/g, "")}-${Date.now()}@example.com`;
    const seen = await journey(base, email, password, noTotp);
    if (!seen.some((line) => line.startsWith("hello.txt "))) {
      throw new Error(`${name}: the uploaded file is not listed: ${seen.join(" | ")}`);
    }
    console.log(`${name}: ${seen.join(" | ")}`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
