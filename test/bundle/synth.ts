/**
 * Synthesizes the real app WITH bundling (esbuild, as `cdk synth` does) into a temp directory, then reads back
 * what would be deployed: the stack template and the asset manifest. For each Lambda function it gives the
 * asset directory that would be zipped and uploaded (via `Code.S3Key` → the manifest's `objectKey` → `source.path`),
 * the handler string, the runtime settings and the environment from the template, with `Ref`/`Fn::GetAtt` values
 * resolved to the names and ARNs local stand-ins are given (see {@link SynthesizedApp.physicalId}).
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DiscordPrThreadsStack } from '../../lib/stack';
import { exampleConfig } from '../infra/helpers';

export const STACK_NAME = 'DiscordPrThreads';
export const REGION = 'eu-west-1';
export const ACCOUNT = '123456789012';

/** A CloudFormation value: a literal, or an intrinsic function object. */
export type TemplateValue = string | number | boolean | null | TemplateValue[] | { [key: string]: TemplateValue };

export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, TemplateValue>;
}

export interface BundledFunction {
  readonly logicalId: string;
  readonly description: string;
  /** e.g. `index.handler`. */
  readonly handler: string;
  /** e.g. `nodejs22.x`. */
  readonly runtime: string;
  readonly timeoutSeconds: number;
  readonly memorySize: number;
  /** `LoggingConfig.LogFormat` (`JSON` / `Text`), when set. */
  readonly logFormat: string | undefined;
  readonly applicationLogLevel: string | undefined;
  /** Absolute path of `cdk.out/asset.<hash>`: the directory zipped and uploaded as the function code. */
  readonly assetDir: string;
  /** `Environment.Variables` with every intrinsic resolved. */
  readonly environment: Readonly<Record<string, string>>;
  /** `Environment.Variables` exactly as in the template. */
  readonly rawEnvironment: Readonly<Record<string, TemplateValue>>;
}

export interface SynthesizedApp {
  readonly outdir: string;
  readonly resources: Readonly<Record<string, TemplateResource>>;
  readonly functions: readonly BundledFunction[];
  /** The one function whose description contains `word`. */
  fn(word: string): BundledFunction;
  /** What `Ref` of a resource yields once deployed (a secret's or topic's ARN, a table's or bucket's name). */
  physicalId(logicalId: string): string;
  /** Logical ids of the resources of a type. */
  idsOf(type: string): string[];
}

interface AssetManifest {
  readonly files: Record<
    string,
    {
      readonly source: { readonly path: string; readonly packaging?: string };
      readonly destinations: Record<string, { readonly objectKey: string }>;
    }
  >;
}

export const isRecord = (value: unknown): value is Record<string, TemplateValue> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const str = (value: TemplateValue | undefined): string | undefined => (typeof value === 'string' ? value : undefined);

/** Synthesizes the app as `bin/app.ts` builds it (example config from cdk.json, cdk-nag on), bundling included. */
export function synthesizeApp(): SynthesizedApp {
  const outdir = mkdtempSync(path.join(tmpdir(), 'dpt-bundle-tests-'));
  const app = new App({ outdir });
  new DiscordPrThreadsStack(app, STACK_NAME, { config: exampleConfig() });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const assembly = app.synth();
  const artifact = assembly.getStackByName(STACK_NAME);
  const template = JSON.parse(readFileSync(artifact.templateFullPath, 'utf8')) as {
    Resources: Record<string, TemplateResource>;
  };
  const manifest = JSON.parse(readFileSync(path.join(outdir, `${STACK_NAME}.assets.json`), 'utf8')) as AssetManifest;
  const resources = template.Resources;

  const physicalIds = new Map<string, string>();
  const physicalId = (logicalId: string): string => {
    const known = physicalIds.get(logicalId);
    if (known !== undefined) return known;
    const resource = resources[logicalId];
    if (resource === undefined) throw new Error(`The template has no resource ${logicalId}.`);
    const props = resource.Properties ?? {};
    // CloudFormation's generated names: <stack>-<logical id>-<random>.
    const generated = `${STACK_NAME}-${logicalId}-1A2B3C4D5E6F`;
    let id: string;
    switch (resource.Type) {
      case 'AWS::SecretsManager::Secret':
        id = `arn:aws:secretsmanager:${REGION}:${ACCOUNT}:secret:${str(props.Name) ?? logicalId}-AbCdEf`;
        break;
      case 'AWS::SNS::Topic':
        id = `arn:aws:sns:${REGION}:${ACCOUNT}:${str(props.TopicName) ?? (props.FifoTopic === true ? `${generated}.fifo` : generated)}`;
        break;
      case 'AWS::DynamoDB::Table':
        id = str(props.TableName) ?? generated;
        break;
      case 'AWS::S3::Bucket':
        id = (str(props.BucketName) ?? generated).toLowerCase();
        break;
      case 'AWS::SQS::Queue':
        id = `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${str(props.QueueName) ?? generated}`;
        break;
      default:
        throw new Error(`No stand-in name for Ref of ${logicalId} (${resource.Type}); teach synth.ts this type.`);
    }
    physicalIds.set(logicalId, id);
    return id;
  };

  const getAtt = (logicalId: string, attribute: string): string => {
    const resource = resources[logicalId];
    const ref = physicalId(logicalId);
    switch (`${resource?.Type}.${attribute}`) {
      case 'AWS::SNS::Topic.TopicArn':
      case 'AWS::SecretsManager::Secret.Id':
        return ref;
      case 'AWS::DynamoDB::Table.Arn':
        return `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${ref}`;
      case 'AWS::S3::Bucket.Arn':
        return `arn:aws:s3:::${ref}`;
      default:
        throw new Error(`No stand-in value for Fn::GetAtt ${logicalId}.${attribute}; teach synth.ts this attribute.`);
    }
  };

  const pseudo: Record<string, string> = {
    'AWS::Region': REGION,
    'AWS::AccountId': ACCOUNT,
    'AWS::Partition': 'aws',
    'AWS::URLSuffix': 'amazonaws.com',
    'AWS::StackName': STACK_NAME,
  };

  const resolve = (value: TemplateValue, where: string): string => {
    if (typeof value === 'string') return value;
    if (typeof value === 'number' || typeof value === 'boolean') return String(value);
    if (isRecord(value)) {
      const ref = value.Ref;
      if (typeof ref === 'string') return pseudo[ref] ?? physicalId(ref);
      const att = value['Fn::GetAtt'];
      if (Array.isArray(att) && typeof att[0] === 'string' && typeof att[1] === 'string') return getAtt(att[0], att[1]);
      const join = value['Fn::Join'];
      if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) {
        return join[1].map((part) => resolve(part, where)).join(join[0]);
      }
    }
    throw new Error(
      `${where}: cannot resolve ${JSON.stringify(value)} for a local run; teach synth.ts this intrinsic.`,
    );
  };

  const assetDirOf = (logicalId: string, code: TemplateValue | undefined): string => {
    const key = isRecord(code) ? str(code.S3Key) : undefined;
    if (key === undefined)
      throw new Error(`${logicalId}: Code.S3Key is not a literal asset key (${JSON.stringify(code)}).`);
    const entry = Object.values(manifest.files).find((file) =>
      Object.values(file.destinations).some((d) => d.objectKey === key),
    );
    if (entry === undefined) throw new Error(`${logicalId}: no asset in the manifest uploads to ${key}.`);
    if (entry.source.packaging !== 'zip') throw new Error(`${logicalId}: asset ${key} is not a zipped directory.`);
    const dir = path.resolve(outdir, entry.source.path);
    if (!existsSync(dir)) throw new Error(`${logicalId}: asset directory ${dir} does not exist.`);
    return dir;
  };

  const functions = Object.entries(resources)
    .filter(([, r]) => r.Type === 'AWS::Lambda::Function')
    .map(([logicalId, r]): BundledFunction => {
      const props = r.Properties ?? {};
      const variables = isRecord(props.Environment) ? props.Environment.Variables : undefined;
      const rawEnvironment = isRecord(variables) ? variables : {};
      const environment = Object.fromEntries(
        Object.entries(rawEnvironment).map(([name, value]) => [name, resolve(value, `${logicalId} env ${name}`)]),
      );
      const logging = isRecord(props.LoggingConfig) ? props.LoggingConfig : {};
      return {
        logicalId,
        description: str(props.Description) ?? '',
        handler: str(props.Handler) ?? '',
        runtime: str(props.Runtime) ?? '',
        timeoutSeconds: typeof props.Timeout === 'number' ? props.Timeout : 3,
        memorySize: typeof props.MemorySize === 'number' ? props.MemorySize : 128,
        logFormat: str(logging.LogFormat),
        applicationLogLevel: str(logging.ApplicationLogLevel),
        assetDir: assetDirOf(logicalId, props.Code),
        environment,
        rawEnvironment,
      };
    });

  return {
    outdir,
    resources,
    functions,
    fn(word) {
      const found = functions.filter((f) => f.description.includes(word));
      if (found.length !== 1) throw new Error(`Expected one function described with "${word}", found ${found.length}.`);
      return found[0];
    },
    physicalId,
    idsOf: (type) => Object.keys(resources).filter((id) => resources[id]?.Type === type),
  };
}
