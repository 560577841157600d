#!/usr/bin/env node
// Encodes documents with the npm package gpt-3-encoder's own Encoder.js, the
// reference our Gpt2Bpe must match token for token.
//   node reference_encode.js <folder with Encoder.js> <input> <output.json>
// <input>: a first line holding a JSON array of byte lengths, then the
// documents' bytes back to back. Each document is decoded as node reads a
// 'utf8' file (invalid bytes become U+FFFD). <output.json>: one array of
// token ids per document.
'use strict';
const fs = require('fs');
const path = require('path');

const [encoderDir, inputPath, outputPath] = process.argv.slice(2);
if (!outputPath) {
  console.error('usage: node reference_encode.js <encoder dir> <input> <output.json>');
  process.exit(2);
}
const {encode} = require(path.resolve(encoderDir, 'Encoder.js'));

const input = fs.readFileSync(inputPath);
const headerEnd = input.indexOf(0x0a);
const lengths = JSON.parse(input.subarray(0, headerEnd).toString('utf8'));
const results = [];
let offset = headerEnd + 1;
for (const length of lengths) {
  const text = input.toString('utf8', offset, offset + length);
  results.push(encode(text));
  offset += length;
}
if (offset !== input.length) {
  console.error(`input has ${input.length - offset} bytes after the last document`);
  process.exit(3);
}
fs.writeFileSync(outputPath, JSON.stringify(results));
