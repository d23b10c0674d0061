import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readSse, type SseEvent } from '../../../cli/sse.ts';

function streamOf(chunks: string[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const c of chunks) controller.enqueue(enc.encode(c));
      controller.close();
    },
  });
}

void test('SSE events are parsed whatever the chunk boundaries; comments and retry are skipped', async () => {
  const text = 'retry: 2000\n\n: heartbeat\n\nid: 1\ndata: first\n\nid: 2\ndata: multi\ndata: line\n\nid: 3\r\nevent: end\r\ndata: {"status":"failed"}\r\n\r\n';
  for (const size of [1, 3, 7, text.length]) {
    const chunks: string[] = [];
    for (let i = 0; i < text.length; i += size) chunks.push(text.slice(i, i + size));
    const events: SseEvent[] = [];
    for await (const e of readSse(streamOf(chunks))) events.push(e);
    assert.deepEqual(
      events,
      [
        { id: '1', event: 'message', data: 'first' },
        { id: '2', event: 'message', data: 'multi\nline' },
        { id: '3', event: 'end', data: '{"status":"failed"}' },
      ],
      `chunk size ${size}`,
    );
  }
});
