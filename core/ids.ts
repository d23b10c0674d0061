// Build ids are `<pipeline>-<number>`; pipeline names are DNS-1123 labels, so the last dash
// separates the number.

export function buildId(pipeline: string, number: number): string {
  return `${pipeline}-${number}`;
}

export const nowIso = (): string => new Date().toISOString();
