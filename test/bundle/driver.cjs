'use strict';
/**
 * A tiny stand-in for the Lambda Node.js runtime, run in a fresh `node` process per invocation:
 * loads `$LAMBDA_TASK_ROOT/<module>` from `$_HANDLER` (`index.handler`), calls the export with the event read
 * from stdin and a Lambda-like context, and writes `{ status, result | error, blocked, resolvable }` as JSON to
 * the file named by argv[2]. argv[3] is the function timeout in ms.
 *
 * Loopback only: every TCP/TLS connection to a host other than loopback is refused BEFORE any DNS lookup or
 * connect, and listed in `blocked`, so a bundle that tried to reach real AWS (or Discord) shows in the result.
 * `resolvable` lists packages a `require` from the task root could still find outside the bundle (should be none).
 */
const fs = require('node:fs');
const net = require('node:net');
const path = require('node:path');
const { randomUUID } = require('node:crypto');

const resultPath = process.argv[2];
const timeoutMs = Number(process.argv[3]);
const blocked = [];
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '::ffff:127.0.0.1']);

const originalConnect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function guardedConnect(...args) {
  const first = args[0];
  const options = Array.isArray(first)
    ? first[0]
    : first !== null && typeof first === 'object'
      ? first
      : { port: first, host: typeof args[1] === 'string' ? args[1] : undefined };
  // IPC (a socket path, no host or port) stays local. Note HTTP(S) agents pass the request's URL path as `path`
  // beside `host` and `port`: that is TCP.
  const ipc = options && typeof options.path === 'string' && options.host == null && options.port == null;
  if (options && !ipc) {
    const host = options.host ?? 'localhost';
    if (!LOOPBACK.has(host)) {
      blocked.push(`${host}:${options.port}`);
      process.nextTick(() => this.destroy(new Error(`bundle driver: refused ${host}:${options.port} (loopback only)`)));
      return this;
    }
  }
  return originalConnect.apply(this, args);
};

const PROBES = [
  '@aws-sdk/client-sns',
  '@aws-sdk/client-secrets-manager',
  '@aws-sdk/client-dynamodb',
  '@aws-sdk/client-s3',
  '@aws-lambda-powertools/logger',
  '@discordjs/rest',
  'zod',
];

let finished = false;
function finish(outcome) {
  if (finished) return;
  finished = true;
  const taskRoot = process.env.LAMBDA_TASK_ROOT ?? '';
  const resolvable = PROBES.filter((name) => {
    try {
      require.resolve(name, { paths: [taskRoot] });
      return true;
    } catch {
      return false;
    }
  });
  fs.writeFileSync(resultPath, JSON.stringify({ ...outcome, blocked, resolvable }));
  process.exit(0);
}

function describe(err) {
  return err instanceof Error
    ? { name: err.name, message: err.message, stack: err.stack ?? '' }
    : { name: 'NonError', message: String(err), stack: '' };
}

async function load() {
  const spec = process.env._HANDLER ?? '';
  const dot = spec.lastIndexOf('.');
  if (dot <= 0) throw new Error(`Runtime.MalformedHandlerName: "${spec}"`);
  const moduleName = spec.slice(0, dot);
  const exportName = spec.slice(dot + 1);
  const base = path.resolve(process.env.LAMBDA_TASK_ROOT ?? '.', moduleName);
  const file = ['.js', '.cjs', '.mjs'].map((ext) => base + ext).find((f) => fs.existsSync(f));
  if (file === undefined) throw new Error(`Runtime.ImportModuleError: Cannot find module '${moduleName}'`);
  const mod = file.endsWith('.mjs') ? await import(file) : require(file);
  const fn = mod[exportName];
  if (typeof fn !== 'function') {
    throw new Error(`Runtime.HandlerNotFound: ${moduleName}.${exportName} is undefined or not exported`);
  }
  return fn;
}

async function main() {
  const event = JSON.parse(fs.readFileSync(0, 'utf8'));
  let fn;
  try {
    fn = await load();
  } catch (err) {
    finish({ status: 'init-error', error: describe(err) });
    return;
  }
  const deadline = Date.now() + timeoutMs;
  setTimeout(() => finish({ status: 'timeout' }), timeoutMs).unref();
  const name = process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'function';
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION}:123456789012:function:${name}`,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? '128',
    awsRequestId: randomUUID(),
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME ?? '',
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME ?? '',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
  try {
    const result =
      fn.length >= 3
        ? await new Promise((resolve, reject) =>
            fn(event, context, (err, value) => (err ? reject(err) : resolve(value))),
          )
        : await fn(event, context);
    finish({ status: 'ok', result: result === undefined ? null : result });
  } catch (err) {
    finish({ status: 'error', error: describe(err) });
  }
}

main().catch((err) => finish({ status: 'error', error: describe(err) }));
