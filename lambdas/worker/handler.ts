// Placeholder until the worker lands (issue 3); replaced, not kept.
export const handler = async (): Promise<never> => {
  throw new Error('worker not implemented yet');
};
