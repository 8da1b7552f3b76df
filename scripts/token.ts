/**
 * Prints a signed token: `npm run token -- viewer --board demo`.
 * The secret comes from EDGEPULSE_SECRET or `.dev.vars`, like the local Worker's.
 */
import { readSecret } from "./dev-vars.ts";
import { mintToken } from "./mint-token.ts";
import { parseTokenCommand, TOKEN_USAGE } from "./token-command.ts";

const command = parseTokenCommand(process.argv.slice(2));
if (command.kind === "help") {
  console.log(TOKEN_USAGE);
} else if (command.kind === "invalid") {
  console.error(`token: ${command.error}\n\n${TOKEN_USAGE}`);
  process.exitCode = 2;
} else {
  let secret: string | undefined;
  try {
    secret = readSecret();
  } catch (error) {
    console.error(`token: ${(error as Error).message}`);
    process.exitCode = 1;
  }
  if (secret) console.log(await mintToken(secret, command.request));
}
