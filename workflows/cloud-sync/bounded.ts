// Runs tasks with at most `limit` in flight, keeping results in input order: the workflow's way to bound how
// hard one account hits its provider. Deterministic: tasks start in order as earlier ones finish.
export async function inBatchesOf<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return results;
}
