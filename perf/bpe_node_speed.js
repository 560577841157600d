#!/usr/bin/env node
// Times the reference encoder (npm gpt-3-encoder's Encoder.js) on the text
// perf_bpe measures, for the speed comparison in docs/tokenizer.md:
//   build/release/perf/perf_bpe --write-text /tmp/brown.txt
//   node perf/bpe_node_speed.js .deps/npm/gpt-3-encoder /tmp/brown.txt
// Encoder.js grows its result with Array.concat per word, which is quadratic
// in the tokens of one call, so the text is encoded a paragraph at a time.
'use strict';
const fs = require('fs');
const path = require('path');

const [encoderDir, textPath] = process.argv.slice(2);
const {encode} = require(path.resolve(encoderDir, 'Encoder.js'));
const text = fs.readFileSync(textPath, 'utf8');
const paragraphs = text.split(/(?<=\n\n)/);
const bytes = Buffer.byteLength(text, 'utf8');

for (const pass of ['cold cache', 'warm cache']) {
  const start = process.hrtime.bigint();
  let tokens = 0;
  for (const p of paragraphs) tokens += encode(p).length;
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(`${pass}: ${bytes} bytes, ${paragraphs.length} paragraphs, ${tokens} tokens, ` +
              `${seconds.toFixed(2)} s, ${(bytes / seconds / 1e6).toFixed(2)} MB/s`);
}
