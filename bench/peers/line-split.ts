/** Benchmark floor: read the file with a Node stream and split it into lines (counting them). */
import { createReadStream } from 'node:fs';

async function main(path: string): Promise<void> {
  let lines = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    let i = chunk.indexOf(10);
    while (i !== -1) {
      lines++;
      i = chunk.indexOf(10, i + 1);
    }
  }
  console.log(JSON.stringify({ lines }));
}

void main(process.argv[2]);
