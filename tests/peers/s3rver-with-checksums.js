#!/usr/bin/env node
'use strict';

// s3rver (the pinned package) with the one check of Amazon S3 it lacks: a PUT whose body does not match the
// Content-MD5 or x-amz-checksum-sha256 header it came with is refused with 400 BadDigest and nothing is stored,
// as S3 does. s3rver itself reads these headers only to check signatures. Takes s3rver's own command line.

const crypto = require('crypto');
const { Readable } = require('stream');
const S3rver = require('s3rver');
const S3Error = require('s3rver/lib/models/error');

const checks = [
  { header: 'content-md5', algorithm: 'md5', name: 'Content-MD5' },
  { header: 'x-amz-checksum-sha256', algorithm: 'sha256', name: 'x-amz-checksum-sha256' },
];

async function verifyChecksums(ctx, next) {
  const claimed = checks.filter(check => ctx.get(check.header));
  const isObjectPut =
    ctx.method === 'PUT' && !ctx.get('x-amz-copy-source') && !('uploadId' in ctx.query) && !('partNumber' in ctx.query);
  if (!isObjectPut || claimed.length === 0) {
    return next();
  }

  const chunks = [];
  for await (const chunk of ctx.req) {
    chunks.push(chunk);
  }
  const body = Buffer.concat(chunks);
  for (const check of claimed) {
    const actual = crypto.createHash(check.algorithm).update(body).digest('base64');
    if (actual !== ctx.get(check.header)) {
      throw new S3Error('BadDigest', `The ${check.name} you specified did not match what we received.`, {
        ExpectedDigest: ctx.get(check.header),
        CalculatedDigest: actual,
      });
    }
  }

  // s3rver stores the object from ctx.req: hand it the bytes already read, with the request's own properties.
  const replay = Readable.from([body]);
  for (const property of ['headers', 'method', 'url', 'httpVersion', 'socket', 'connection']) {
    replay[property] = ctx.req[property];
  }
  ctx.req = replay;
  return next();
}

// Koa composes its middleware when the server starts listening: run the check before everything else.
const callback = S3rver.prototype.callback;
S3rver.prototype.callback = function callbackWithChecksums() {
  if (!this.middleware.includes(verifyChecksums)) {
    this.middleware.unshift(verifyChecksums);
  }
  return callback.call(this);
};

require('s3rver/bin/s3rver.js');
