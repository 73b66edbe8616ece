'use strict';
/**
 * Custom resource (aws-cdk-lib CustomResourceProvider; its entry point answers CloudFormation):
 * returns the id of the AWS-managed prefix list of a service in the function's region, e.g.
 * `com.amazonaws.eu-west-1.s3` for the S3 gateway endpoint. The id differs per region and is not
 * exposed by AWS::EC2::VPCEndpoint, so security-group rules that allow HTTPS to S3 through the
 * gateway endpoint only need it at deploy time.
 *
 * EC2 API: DescribeManagedPrefixLists with the `prefix-list-name` filter; AWS-managed lists have
 * OwnerId `AWS` (Amazon VPC User Guide, "AWS-managed prefix lists": com.amazonaws.<region>.s3).
 * The AWS SDK for JavaScript v3 is part of the Lambda Node.js runtime.
 */
const { EC2Client, DescribeManagedPrefixListsCommand } = require('@aws-sdk/client-ec2');

exports.handler = async (event, client = new EC2Client({})) => {
  if (event.RequestType === 'Delete') return {};
  const name = event.ResourceProperties && event.ResourceProperties.PrefixListName;
  if (typeof name !== 'string' || !/^com\.amazonaws\.[a-z0-9-]+\.[a-z0-9.-]+$/.test(name)) {
    throw new Error(
      `property PrefixListName must be an AWS-managed prefix list name such as com.amazonaws.eu-west-1.s3 (got ${JSON.stringify(name)})`,
    );
  }
  const out = await client.send(new DescribeManagedPrefixListsCommand({ Filters: [{ Name: 'prefix-list-name', Values: [name] }] }));
  const list = (out.PrefixLists || []).find((p) => p.PrefixListName === name && p.OwnerId === 'AWS');
  if (!list || !list.PrefixListId) throw new Error(`no AWS-managed prefix list named ${name} in this region`);
  return { PhysicalResourceId: list.PrefixListId, Data: { PrefixListId: list.PrefixListId } };
};
