// Placeholder until the ingest handler lands (issue 2); replaced, not kept.
export const handler = async (): Promise<{ statusCode: number }> => ({ statusCode: 503 });
