import type { Infrastructure } from '@app/engine';

export interface ProjectionLag {
  projection: string;
  /** events stored after the projection's checkpoint, counted up to the limit asked for */
  events: number;
  /** age of the oldest event the projection has not applied yet; 0 when caught up */
  seconds: number;
}

/**
 * How far each projection is behind the event log, read from the stored checkpoints (wherever the
 * projections run). Counting stops at `countLimit`, so a probe stays cheap however far behind.
 * Projections sharing a checkpoint (the usual case: one loop applies every batch) are read once.
 */
export async function projectionLag(infrastructure: Infrastructure, countLimit: number, now = Date.now()): Promise<ProjectionLag[]> {
  const names = infrastructure.runner.list();
  const checkpoints = await infrastructure.projectionStore.checkpoints(names);
  const byCheckpoint = new Map<number, Promise<{ events: number; seconds: number }>>();
  const lagAfter = async (position: number) => {
    const behind = await infrastructure.eventStore.readAll({ after: position, maxCount: countLimit });
    if (!behind.length) return { events: 0, seconds: 0 };
    return { events: behind.length, seconds: Math.max(0, (now - behind[0].recordedAt.getTime()) / 1000) };
  };
  return Promise.all(
    names.map(async (projection, i) => {
      const position = checkpoints[i].position;
      if (!byCheckpoint.has(position)) byCheckpoint.set(position, lagAfter(position));
      return { projection, ...(await byCheckpoint.get(position)!) };
    }),
  );
}
