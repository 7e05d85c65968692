/** Why each cdk-nag finding is acknowledged (on the narrowest construct, below). */
export const WHY = {
  hmac: 'GitHub cannot send API credentials; the ingest Lambda authenticates every request by its HMAC-SHA256 signature (X-Hub-Signature-256) and answers 401 otherwise.',
  node22:
    'Pinned to Node.js 22 (LTS, supported by Lambda into 2027): the bundle target, the tests and the local mode use the same major; upgrading is one line in lib/constructs/bridge-function.ts.',
  claimCheck: 'Claim-check objects are keyed by delivery id, unknown at deploy time; the grant is',
  accessLogs:
    'Transient claim-check bucket (objects expire by lifecycle), private, SSL-only, written only by the ingest role and read only by the worker role; access logs would need a second bucket for no added control.',
  webhookRotation:
    'Rotating the webhook secret means changing it in GitHub too, which AWS cannot do; rotation is manual and safe: put {"current":new,"previous":old}, update GitHub, then drop "previous" (ingest accepts both meanwhile).',
  githubRotation:
    'The GitHub token is issued by GitHub and cannot be rotated by AWS; after a reset the user puts the new value with put-secret-value.',
  tokenRotation:
    'The bot token is issued by Discord (Developer Portal → Bot → Reset Token) and cannot be rotated by AWS; after a reset the user puts the new value with SetDiscordTokenCommand.',
};
