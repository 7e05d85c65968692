import { Stack, Validations } from 'aws-cdk-lib';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { synthStack, unbundledApp } from './helpers';

/** Findings not acknowledged anywhere, as `rule @ construct path`. */
function findings(scope: IConstruct): string[] {
  return new AwsSolutionsChecks()
    .validateScope(scope)
    .violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} @ ${r.constructPath}`));
}

/** Every acknowledgement recorded in the tree: rule id → reasons. */
function acknowledgements(scope: IConstruct): Map<string, string[]> {
  const acks = new Map<string, string[]>();
  for (const node of scope.node.findAll()) {
    for (const entry of node.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        const rule = id.replace(/^annotation::/i, '');
        acks.set(rule, [...(acks.get(rule) ?? []), reason]);
      }
    }
  }
  return acks;
}

test('AWS Solutions checks report nothing unacknowledged (default settings)', () => {
  expect(findings(synthStack().app)).toEqual([]);
});

test('AWS Solutions checks report nothing unacknowledged with the destroy removal policy', () => {
  expect(findings(synthStack({ removalPolicy: 'destroy' }).app)).toEqual([]);
});

test('the acknowledged rules are exactly these, each with a reason a reviewer can check', () => {
  const acks = acknowledgements(synthStack().app);
  expect([...acks.keys()].map((id) => id.replace(/<\w+\.Arn>/, '<bucket>')).sort()).toEqual([
    'AwsSolutions-APIG4',
    'AwsSolutions-IAM5[Resource::<bucket>/*]',
    'AwsSolutions-L1',
    'AwsSolutions-S1',
    'AwsSolutions-SMG4',
  ]);
  for (const reasons of acks.values()) {
    for (const reason of reasons) expect(reason.length).toBeGreaterThan(60);
  }
});

test('acknowledgements sit on the narrowest constructs, never on the stack', () => {
  const { stack } = synthStack();
  expect(stack.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)).toEqual([]);
});

test('the checks are live: an unacknowledged finding fails synthesis', () => {
  const app = unbundledApp();
  new Bucket(new Stack(app, 'Careless'), 'Bucket');
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  expect(() => app.synth()).toThrow(/AwsSolutions-S10/);
});

test('the whole app synthesizes with the checks as a validation plugin', () => {
  const { app } = synthStack();
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  expect(() => app.synth({ force: true })).not.toThrow();
});
