import { boardUrl } from "./live-url.ts";

/** Why the board refused the dashboard's token, in words an operator can act on; null when it was accepted. */
export type CredentialProblem = { code: string; title: string; advice: string } | null;

const HOW_TO_MINT = "Ask for a new link, or mint a viewer token: npm run token -- viewer --board <board>.";

const PROBLEMS: Record<string, { title: string; advice: string }> = {
  token_expired: { title: "This link's viewer token has expired.", advice: HOW_TO_MINT },
  bad_signature: {
    title: "This link's token was not signed by this server.",
    advice: `It may come from another deployment, or its secret was changed. ${HOW_TO_MINT}`,
  },
  unknown_key: {
    title: "This link's token was signed with a secret that is no longer accepted.",
    advice: HOW_TO_MINT,
  },
  malformed_token: {
    title: "This link's token is not a valid token.",
    advice: `It may have been cut short when copied. ${HOW_TO_MINT}`,
  },
  missing_token: { title: "This link has no token.", advice: HOW_TO_MINT },
  wrong_board: { title: "This link's token is for another board.", advice: HOW_TO_MINT },
  wrong_token_kind: {
    title: "This link's token cannot view boards (a device token?).",
    advice: `Use a viewer token. ${HOW_TO_MINT}`,
  },
};

/**
 * Asks the board whether the token may view it: minting a ticket costs the Worker a signature and touches no
 * object. Only a 401 or 403 is a problem with the token; anything else (the server down, a 5xx) is for the
 * reconnect loop.
 */
export async function checkCredential(
  page: string,
  board: string,
  token: string,
  fetcher: typeof fetch = fetch,
): Promise<CredentialProblem> {
  let response: Response;
  try {
    response = await fetcher(boardUrl(page, board, "tickets").toString(), {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
    });
  } catch {
    return null;
  }
  if (response.status !== 401 && response.status !== 403) return null;
  const body = (await response.json().catch(() => null)) as { error?: { code?: string } } | null;
  const code = body?.error?.code ?? `http_${response.status}`;
  const problem = PROBLEMS[code] ?? {
    title: `The board refused this link's token (${code}).`,
    advice: HOW_TO_MINT,
  };
  return { code, title: problem.title, advice: problem.advice.replace("<board>", board) };
}
