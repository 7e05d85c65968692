/**
 * Loopback stand-ins for the AWS services the bundles call, speaking the wire protocols of the installed SDK
 * (checked in node_modules, @aws-sdk/* 3.1178):
 * - Secrets Manager: AWS JSON 1.1 (`X-Amz-Target: secretsmanager.GetSecretValue`, `application/x-amz-json-1.1`);
 * - SNS: AWS Query (`AwsQueryProtocol`: form-encoded `Action=Publish&...`, XML answer, xmlns 2010-03-31);
 * - S3: REST-XML, path-style (the SDK uses path-style for an IP endpoint): PutObject and GetObject;
 * - a trap for every other endpoint: records the request and answers 400, so a call nobody expected shows.
 * Each records the SigV4 credential scope of every request (who signed, for which region and service).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The parts of a SigV4 `Authorization` header's credential scope. */
export interface SignedBy {
  readonly accessKeyId: string;
  readonly region: string;
  readonly service: string;
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
  /** `undefined` when the request was not SigV4-signed. */
  readonly signedBy: SignedBy | undefined;
}

interface Reply {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
}

interface LoopbackServer {
  readonly url: string;
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

const CREDENTIAL = /Credential=([^/]+)\/\d{8}\/([^/]+)\/([^/]+)\/aws4_request/;

function signedBy(req: IncomingMessage): SignedBy | undefined {
  const match = CREDENTIAL.exec(req.headers.authorization ?? '');
  return match === null ? undefined : { accessKeyId: match[1], region: match[2], service: match[3] };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function serve(answer: (request: RecordedRequest) => Reply): Promise<LoopbackServer> {
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    readBody(req)
      .then((body) => {
        const request: RecordedRequest = {
          method: req.method ?? 'GET',
          path: req.url ?? '/',
          headers: { ...req.headers },
          body,
          signedBy: signedBy(req),
        };
        requests.push(request);
        const reply = answer(request);
        const payload = reply.body ?? '';
        res.writeHead(reply.status, {
          'x-amzn-requestid': randomUUID(),
          ...reply.headers,
          'content-length': String(Buffer.byteLength(payload)),
        });
        res.end(payload);
      })
      .catch((err: unknown) => {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`stand-in failed: ${err instanceof Error ? err.message : String(err)}`);
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}

const header = (request: RecordedRequest, name: string): string => {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(',') : (value ?? '');
};

// ------------------------------------------------------------------------------------------ Secrets Manager

export interface SecretsManagerStandin extends LoopbackServer {
  /** Stores `value` under `arn` (its name is the ARN's last part without the 6-character suffix). */
  put(arn: string, value: string): void;
  /** The secret ids asked for, in order. */
  readonly reads: string[];
}

const JSON_11 = { 'content-type': 'application/x-amz-json-1.1' };

function jsonError(type: string, message: string): Reply {
  return {
    status: 400,
    headers: { ...JSON_11, 'x-amzn-errortype': type },
    body: JSON.stringify({ __type: type, message }),
  };
}

export async function startSecretsManager(): Promise<SecretsManagerStandin> {
  const secrets = new Map<string, string>();
  const reads: string[] = [];
  const server = await serve((request) => {
    const target = header(request, 'x-amz-target');
    if (request.method !== 'POST' || target !== 'secretsmanager.GetSecretValue') {
      return jsonError('UnknownOperationException', `The stand-in answers GetSecretValue only, not "${target}".`);
    }
    const input = JSON.parse(request.body.toString('utf8')) as { SecretId?: unknown };
    const id = typeof input.SecretId === 'string' ? input.SecretId : '';
    reads.push(id);
    const value = secrets.get(id);
    if (value === undefined)
      return jsonError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    return {
      status: 200,
      headers: JSON_11,
      body: JSON.stringify({
        ARN: id,
        Name:
          id
            .split(':')
            .at(-1)
            ?.replace(/-[A-Za-z0-9]{6}$/, '') ?? id,
        SecretString: value,
        VersionId: 'a1b2c3d4-0000-4000-8000-000000000001',
        VersionStages: ['AWSCURRENT'],
        CreatedDate: 1_733_000_000,
      }),
    };
  });
  return { ...server, reads, put: (arn, value) => void secrets.set(arn, value) };
}

// ------------------------------------------------------------------------------------------ SNS

export interface TopicSettings {
  readonly fifo: boolean;
  readonly contentBasedDeduplication: boolean;
}

export interface PublishedMessage {
  readonly topicArn: string;
  readonly message: string;
  readonly messageGroupId: string | undefined;
  readonly messageDeduplicationId: string | undefined;
  /** Name → string value of every message attribute. */
  readonly attributes: Readonly<Record<string, { readonly dataType: string; readonly value: string }>>;
  readonly messageId: string;
  readonly sequenceNumber: string | undefined;
}

export interface SnsStandin extends LoopbackServer {
  /** Makes a topic exist (others answer NotFound, as SNS does). */
  addTopic(arn: string, settings: TopicSettings): void;
  readonly published: PublishedMessage[];
}

/** SNS's limit for a message with its attributes. */
const SNS_MAX_MESSAGE_BYTES = 262_144;
const SNS_XMLNS = 'http://sns.amazonaws.com/doc/2010-03-31/';

const xmlEscape = (text: string): string =>
  text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c);

function queryError(status: number, code: string, message: string): Reply {
  return {
    status,
    headers: { 'content-type': 'text/xml' },
    body: `<ErrorResponse xmlns="${SNS_XMLNS}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>${randomUUID()}</RequestId></ErrorResponse>`,
  };
}

/** `MessageAttributes.entry.N.Name` / `.Value.DataType` / `.Value.StringValue` → name → value. */
function messageAttributes(form: URLSearchParams): PublishedMessage['attributes'] {
  const out: Record<string, { dataType: string; value: string }> = {};
  for (let n = 1; form.has(`MessageAttributes.entry.${n}.Name`); n++) {
    const prefix = `MessageAttributes.entry.${n}`;
    out[form.get(`${prefix}.Name`) ?? ''] = {
      dataType: form.get(`${prefix}.Value.DataType`) ?? '',
      value: form.get(`${prefix}.Value.StringValue`) ?? '',
    };
  }
  return out;
}

export async function startSns(): Promise<SnsStandin> {
  const topics = new Map<string, TopicSettings>();
  const published: PublishedMessage[] = [];
  let sequence = 10_000_000_000_000_000_000n;
  const server = await serve((request) => {
    const form = new URLSearchParams(request.body.toString('utf8'));
    const action = form.get('Action');
    if (request.method !== 'POST' || action !== 'Publish') {
      return queryError(400, 'InvalidAction', `The stand-in answers Publish only, not "${action}".`);
    }
    if (form.get('Version') !== '2010-03-31') return queryError(400, 'InvalidParameter', 'Version must be 2010-03-31.');
    const topicArn = form.get('TopicArn') ?? '';
    const topic = topics.get(topicArn);
    if (topic === undefined) return queryError(404, 'NotFound', 'Topic does not exist');
    const message = form.get('Message') ?? '';
    const attributes = messageAttributes(form);
    const size =
      Buffer.byteLength(message) +
      Object.entries(attributes).reduce((n, [k, v]) => n + Buffer.byteLength(k + v.dataType + v.value), 0);
    if (size > SNS_MAX_MESSAGE_BYTES) {
      return queryError(400, 'InvalidParameter', 'Invalid parameter: Message too long');
    }
    const messageGroupId = form.get('MessageGroupId') ?? undefined;
    const messageDeduplicationId = form.get('MessageDeduplicationId') ?? undefined;
    if (topic.fifo && messageGroupId === undefined) {
      return queryError(
        400,
        'InvalidParameter',
        'Invalid parameter: The MessageGroupId parameter is required for FIFO topics',
      );
    }
    if (topic.fifo && !topic.contentBasedDeduplication && messageDeduplicationId === undefined) {
      return queryError(
        400,
        'InvalidParameter',
        'Invalid parameter: The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly',
      );
    }
    const messageId = randomUUID();
    sequence += 1n;
    const sequenceNumber = topic.fifo ? String(sequence) : undefined;
    published.push({
      topicArn,
      message,
      messageGroupId,
      messageDeduplicationId,
      attributes,
      messageId,
      sequenceNumber,
    });
    const seq = sequenceNumber === undefined ? '' : `<SequenceNumber>${sequenceNumber}</SequenceNumber>`;
    return {
      status: 200,
      headers: { 'content-type': 'text/xml' },
      body: `<PublishResponse xmlns="${SNS_XMLNS}"><PublishResult><MessageId>${messageId}</MessageId>${seq}</PublishResult><ResponseMetadata><RequestId>${randomUUID()}</RequestId></ResponseMetadata></PublishResponse>`,
    };
  });
  return { ...server, published, addTopic: (arn, settings) => void topics.set(arn, settings) };
}

// ------------------------------------------------------------------------------------------ S3

export interface S3Standin extends LoopbackServer {
  /** Makes a bucket exist (others answer NoSuchBucket). */
  addBucket(name: string): void;
  /** `bucket/key` → stored bytes. */
  readonly objects: Map<string, Buffer>;
}

function s3Error(status: number, code: string, message: string): Reply {
  return {
    status,
    headers: { 'content-type': 'application/xml' },
    body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message><RequestId>${randomUUID()}</RequestId></Error>`,
  };
}

/** The payload of an `aws-chunked` body (`<hex size>[;chunk-signature=...]\r\n<data>\r\n ... 0\r\n<trailers>`). */
function decodeAwsChunked(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = body.indexOf('\r\n', at);
    if (eol < 0) throw new Error('aws-chunked body without a chunk header');
    const size = Number.parseInt(body.subarray(at, eol).toString('latin1').split(';')[0], 16);
    if (!Number.isFinite(size)) throw new Error('aws-chunked chunk size is not hex');
    if (size === 0) return Buffer.concat(parts);
    parts.push(body.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
}

export async function startS3(): Promise<S3Standin> {
  const buckets = new Set<string>();
  const objects = new Map<string, Buffer>();
  const server = await serve((request) => {
    const url = new URL(request.path, 'http://s3.invalid');
    const [bucket = '', ...rest] = url.pathname.slice(1).split('/');
    const key = rest.map(decodeURIComponent).join('/');
    if (!buckets.has(bucket)) return s3Error(404, 'NoSuchBucket', 'The specified bucket does not exist');
    // The SDK tags object calls with `?x-id=PutObject` / `?x-id=GetObject`; any other query is another operation.
    const query = [...url.searchParams.keys()].filter((name) => name !== 'x-id');
    if (query.length > 0) return s3Error(501, 'NotImplemented', `The stand-in has no operation for ?${url.search}.`);
    if (request.method === 'PUT' && key !== '') {
      const chunked = header(request, 'content-encoding').includes('aws-chunked');
      const data = chunked ? decodeAwsChunked(request.body) : request.body;
      objects.set(`${bucket}/${key}`, data);
      return { status: 200, headers: { etag: `"${randomUUID().replaceAll('-', '')}"` } };
    }
    if (request.method === 'GET' && key !== '') {
      const data = objects.get(`${bucket}/${key}`);
      if (data === undefined) return s3Error(404, 'NoSuchKey', 'The specified key does not exist.');
      return { status: 200, headers: { 'content-type': 'application/json' }, body: data };
    }
    return s3Error(501, 'NotImplemented', `The stand-in answers PutObject and GetObject only (${request.method}).`);
  });
  return { ...server, objects, addBucket: (name) => void buckets.add(name) };
}

// ------------------------------------------------------------------------------------------ trap

/** Any AWS endpoint nobody expected (`AWS_ENDPOINT_URL`): records the call and answers 400. */
export async function startTrap(): Promise<LoopbackServer> {
  return serve(() => jsonError('UnexpectedCall', 'No AWS call was expected at this endpoint.'));
}
