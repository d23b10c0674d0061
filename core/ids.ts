// Build ids are `<pipeline>-<number>`; pipeline names are DNS-1123 labels, so the last dash
// separates the number.

export function buildId(pipeline: string, number: number): string {
  return `${pipeline}-${number}`;
}

export function parseBuildId(id: string): { pipeline: string; number: number } | undefined {
  const m = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)-(\d+)$/.exec(id);
  if (!m?.[1] || !m[3]) return undefined;
  return { pipeline: m[1], number: Number(m[3]) };
}

export const nowIso = (): string => new Date().toISOString();
