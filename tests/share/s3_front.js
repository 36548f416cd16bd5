// A loopback S3 for tests that checks AWS Signature Version 4 the way S3 does: every request's
// signature is recomputed with AWS's own signer (@smithy/signature-v4) over the headers the
// client says it signed, and a mismatch is refused with S3's SignatureDoesNotMatch. Requests that
// pass go to s3rver unsigned, which stores the objects (s3rver itself checks only the access key
// id of a SigV4 request, and knows only its own). Test hooks: --fail-first N answers the first N PUTs with 500 InternalError;
// GET /__stats gives the counts; GET /__object/<bucket>/<key> reads an object back unsigned.
// Prints "READY <port>" once listening.
'use strict';
const http = require('http');
const path = require('path');
const crypto = require('crypto');

const args = {};
for (let i = 2; i < process.argv.length; i += 2) args[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];
const mods = path.join(args.modules, 'node_modules');
const S3rver = require(path.join(mods, 's3rver'));
const { SignatureV4 } = require(path.join(mods, '@smithy/signature-v4'));
const { Hash } = require(path.join(mods, '@smithy/hash-node'));

const keys = { [args['access-key']]: args.secret };
const bucket = args.bucket;
let failFirst = Number(args['fail-first'] || 0);
const stats = { requests: 0, verified: 0, rejected: 0, injected: 0, headers: [] };

function s3Error(res, status, code, message) {
  res.writeHead(status, { 'Content-Type': 'application/xml' });
  res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`);
}

// Authorization: AWS4-HMAC-SHA256 Credential=AKID/DATE/REGION/SERVICE/aws4_request,
// SignedHeaders=a;b;c, Signature=hex
function parseAuth(value) {
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(value || '');
  return m && { akid: m[1], region: m[3], service: m[4], signed: m[5].split(';'), signature: m[6] };
}

function toDate(amz) {  // 20261204T221500Z
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amz || '');
  return m && new Date(Date.UTC(+m[1], m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
}

async function verify(req, body) {
  const auth = parseAuth(req.headers.authorization);
  if (!auth) return ['AccessDenied', 'no SigV4 Authorization header'];
  const secret = keys[auth.akid];
  if (!secret) return ['InvalidAccessKeyId', 'unknown access key id'];
  const date = toDate(req.headers['x-amz-date']);
  if (!date || Math.abs(Date.now() - date) > 15 * 60 * 1000) return ['RequestTimeTooSkewed', 'x-amz-date missing or skewed'];
  const declared = req.headers['x-amz-content-sha256'];
  if (!declared) return ['MissingSecurityHeader', 'x-amz-content-sha256 is missing'];
  if (declared !== 'UNSIGNED-PAYLOAD' && declared !== crypto.createHash('sha256').update(body).digest('hex'))
    return ['XAmzContentSHA256Mismatch', 'x-amz-content-sha256 does not match the body'];
  const headers = {};
  for (const name of auth.signed) {
    if (req.headers[name] === undefined) return ['SignatureDoesNotMatch', `signed header ${name} absent`];
    headers[name] = req.headers[name];
  }
  const url = new URL(req.url, 'http://x');
  const query = {};
  for (const [k, v] of url.searchParams) query[k] = v;
  const signer = new SignatureV4({
    credentials: { accessKeyId: auth.akid, secretAccessKey: secret },
    region: auth.region, service: auth.service, sha256: Hash.bind(null, 'sha256'),
    uriEscapePath: false, applyChecksum: false,
  });
  const signed = await signer.sign({
    method: req.method, protocol: 'http:', hostname: headers.host.split(':')[0],
    port: Number(headers.host.split(':')[1] || 80), path: url.pathname, query, headers, body,
  }, { signingDate: date, unsignableHeaders: new Set(), signableHeaders: new Set(auth.signed) });
  const got = parseAuth(signed.headers.authorization);
  if (!got || got.signature !== auth.signature || got.signed.join(';') !== auth.signed.join(';'))
    return ['SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.'];
  return null;
}

(async () => {
  const store = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: args.data,
                             configureBuckets: [{ name: bucket }] });
  const { port: storePort } = await store.run();

  const forward = (req, body, res) => {
    const f = http.request({ host: '127.0.0.1', port: storePort, method: req.method, path: req.url,
                             headers: req.headers }, (up) => {
      res.writeHead(up.statusCode, up.headers);
      up.pipe(res);
    });
    f.on('error', (e) => s3Error(res, 502, 'BadGateway', e.message));
    f.end(body);
  };

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      if (req.url === '/__stats') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        return res.end(JSON.stringify(stats));
      }
      if (req.url.startsWith('/__object/')) {
        req.url = req.url.slice('/__object'.length);
        delete req.headers.authorization;
        return forward(req, Buffer.alloc(0), res);
      }
      stats.requests++;
      stats.headers.push(Object.keys(req.headers).sort().join(' '));
      if (req.method === 'PUT' && failFirst > 0) {
        failFirst--;
        stats.injected++;
        return s3Error(res, 500, 'InternalError', 'injected failure');
      }
      const problem = await verify(req, body).catch((e) => ['SignatureDoesNotMatch', String(e)]);
      if (problem) {
        stats.rejected++;
        return s3Error(res, 403, problem[0], problem[1]);
      }
      stats.verified++;
      // Verified here; s3rver knows only its own S3RVER key, so it gets the request unsigned.
      delete req.headers.authorization;
      forward(req, body, res);
    });
  });
  server.listen(0, '127.0.0.1', () => console.log(`READY ${server.address().port}`));
})().catch((e) => { console.error(e); process.exit(1); });
