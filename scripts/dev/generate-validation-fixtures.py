# Regenerates test/fixtures/validation/ (dev tool: python3 with PyYAML). The fixtures are the
# committed source of truth; edit this generator and rerun it when many fixtures must change at once.
import os, copy, shutil, yaml
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'test', 'fixtures', 'validation')
shutil.rmtree(ROOT, ignore_errors=True)

def customer(slug='acme', account='210987654321', region='us-east-1', zone=None):
    return {
        'slug': slug, 'displayName': f'{slug.title()} Research',
        'aws': {'account': account, 'region': region, 'availabilityZones': [f'{region}a', f'{region}b', f'{region}c']},
        'release': {'version': '2025.4.0', 'build': 2231},
        'image': {'repository': f'123456789012.dkr.ecr.{region}.amazonaws.com/clinspark/app'},
        'dns': {'zoneId': 'Z04TEST0000000000001', 'zoneName': zone or f'{slug}.clinspark.cloud',
                'certificateArn': f'arn:aws:acm:{region}:{account}:certificate/6f1c2a3b-4d5e-4f60-8a71-92b3c4d5e6f7'},
        'environments': {'prod': {}, 'val': {'source': 'prod', 'scrubRules': 'scrub/rules.yaml'}},
    }

def platform():
    return {'aws': {'account': '123456789012', 'region': 'us-east-1', 'availabilityZones': ['us-east-1a', 'us-east-1b']},
            'release': {'version': '2025.4.0', 'build': 2231},
            'image': {'repository': '123456789012.dkr.ecr.us-east-1.amazonaws.com/clinspark/app'},
            'dns': {'zoneId': 'Z04PLATFORM000000001', 'zoneName': 'clinspark.cloud',
                    'certificateArn': 'arn:aws:acm:us-east-1:123456789012:certificate/9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b'},
            'demos': [{'name': 'r2025-4'}], 'community': {}}

def rr(cidrs):
    return {'allowedCidrs': cidrs, 'sshPublicKeys': ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHtestkeytestkeytestkeytestkeytestkeytestkey bi@customer'],
            'jumpHostAmi': 'ami-0123456789abcdef0',
            'credentials': {'recipientArn': 'arn:aws:iam::210987654321:user/jane.doe', 'issueDate': '2026-11-02'}}

class Q(str): pass
def q_repr(dumper, data): return dumper.represent_scalar('tag:yaml.org,2002:str', data, style='"')
yaml.add_representer(Q, q_repr)

def quote_strings(o):
    if isinstance(o, dict): return {k: quote_strings(v) for k, v in o.items()}
    if isinstance(o, list): return [quote_strings(v) for v in o]
    if isinstance(o, str) and (o.isdigit() or o.replace('.', '').isdigit()): return Q(o)
    return o

RULES = '''version: 1
tables:
  volunteers:
    columns:
      id: keep
      last_name: { strategy: pseudonym, kind: lastName }
      email: email
'''

def has_val(content):
    if isinstance(content, str):
        return 'scrubRules: scrub/rules.yaml' in content
    return isinstance(content, dict) and isinstance(content.get('environments'), dict) and 'val' in content['environments']

def write(case, files, errors):
    d = os.path.join(ROOT, case)
    if any(has_val(c) for c in files.values()) and 'scrub/rules.yaml' not in files:
        files = dict(files, **{'scrub/rules.yaml': RULES})
    for name, content in files.items():
        p = os.path.join(d, name); os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, 'w') as f:
            if isinstance(content, str): f.write(content)
            else: f.write(yaml.dump(quote_strings(content), sort_keys=False, allow_unicode=True))
    with open(os.path.join(d, 'expected.yaml'), 'w') as f:
        f.write('# Problems `clinspark validate` must report for this fleet (message: a regular expression).\n')
        f.write(yaml.dump({'errors': errors}, sort_keys=False, allow_unicode=True, width=200))

def c(**mods):
    x = customer(); 
    for k, v in mods.items(): x[k] = v
    return x

# --- good fleets ---
write('good/minimal-customer', {'customers/acme.yaml': customer()}, [])
full = customer(); full['environments'] = {
    'sandbox': {}, 'migration': {'ingress': {'allowedCidrs': ['198.51.100.0/24', '203.0.113.7/32']}},
    'preprod': {'maintenanceWindow': 'sat:22:00-sat:23:00', 'backupWindow': '23:30-00:30', 'sizing': {'database': {'minAcu': 0.5, 'maxAcu': 16}}},
    'prod': {'sizing': {'app': {'cpu': 4096, 'memoryMiB': 16384, 'minTasks': 2, 'maxTasks': 10}, 'database': {'instanceClass': 'db.r7g.xlarge'}},
             'readReplica': rr(['198.51.100.0/24'])},
    'val': {'source': 'prod', 'scrubRules': 'scrub/rules.yaml', 'release': {'version': '2026.1.0', 'build': '2410'}}}
full['usesCommunity'] = True
write('good/full-lifecycle-with-platform', {'customers/acme.yaml': full, 'platform.yaml': platform()}, [])
write('good/maintenance-window-wraps-week', {'customers/acme.yaml': c(environments={'prod': {'maintenanceWindow': 'sun:23:30-mon:00:30', 'backupWindow': '01:00-01:30'}})}, [])

# --- slug ---
write('slug/not-dns-safe', {'customers/acme.yaml': c(slug='Acme_Research')}, [
    {'file': 'customers/acme.yaml', 'path': 'slug', 'message': 'must be DNS-safe'}])
write('slug/double-hyphen', {'customers/a--b.yaml': c(slug='a--b')}, [
    {'file': 'customers/a--b.yaml', 'path': 'slug', 'message': 'must be DNS-safe'}])
write('slug/file-name-mismatch', {'customers/acme.yaml': c(slug='globex')}, [
    {'file': 'customers/acme.yaml', 'path': 'slug', 'message': "does not match the file name; rename the file to customers/globex.yaml"}])
two = c(); two2 = c(); two2['dns'] = dict(two2['dns'], zoneName='acme2.clinspark.cloud')
write('slug/duplicate', {'customers/acme.yaml': two, 'customers/acme.yml': two2}, [
    {'file': 'customers/acme.yml', 'path': 'slug', 'message': "'acme' is already used by customers/acme.yaml"}])
write('slug/reserved-platform', {'customers/platform.yaml': customer(slug='platform')}, [
    {'file': 'customers/platform.yaml', 'path': 'slug', 'message': "'platform' is reserved"}])

# --- account ---
write('account/unquoted-number', {'customers/acme.yaml': 'slug: acme\n' + yaml.dump({k: v for k, v in quote_strings(customer()).items() if k != 'slug'}, sort_keys=False).replace('account: "210987654321"', 'account: 210987654321')}, [
    {'file': 'customers/acme.yaml', 'path': 'aws.account', 'message': 'must be a quoted 12-digit string'}])
x = customer(); x['aws']['account'] = '21098765432'
write('account/eleven-digits', {'customers/acme.yaml': x}, [
    {'file': 'customers/acme.yaml', 'path': 'aws.account', 'message': 'must be exactly 12 digits'}])

# --- AZs / region ---
x = customer(); x['aws']['availabilityZones'] = ['us-east-1a', 'eu-west-1b']
write('azs/not-in-region', {'customers/acme.yaml': x}, [
    {'file': 'customers/acme.yaml', 'path': 'aws.availabilityZones[1]', 'message': "'eu-west-1b' is not an availability zone of us-east-1"}])
x = customer(); x['aws']['availabilityZones'] = ['us-east-1a']
write('azs/only-one', {'customers/acme.yaml': x}, [
    {'file': 'customers/acme.yaml', 'path': 'aws.availabilityZones', 'message': 'list at least 2 availability zones'}])
x = customer(); x['aws']['availabilityZones'] = ['us-east-1a', 'us-east-1a']
write('azs/duplicate', {'customers/acme.yaml': x}, [
    {'file': 'customers/acme.yaml', 'path': 'aws.availabilityZones[1]', 'message': "'us-east-1a' is listed twice"}])
x = customer(region='us-east-9')
write('azs/unknown-region', {'customers/acme.yaml': x}, [
    {'file': 'customers/acme.yaml', 'path': 'aws.region', 'message': "'us-east-9' is not a known AWS region"}])

# --- environment kinds ---
write('environments/unknown-kind', {'customers/acme.yaml': c(environments={'production': {}})}, [
    {'file': 'customers/acme.yaml', 'path': 'environments.production', 'message': "'production' is not an environment kind.*did you mean 'prod'"}])
write('environments/platform-kind-in-customer', {'customers/acme.yaml': c(environments={'prod': {}, 'demo': {}})}, [
    {'file': 'customers/acme.yaml', 'path': 'environments.demo', 'message': 'vendor platform environment; declare it in platform.yaml'}])
write('environments/none', {'customers/acme.yaml': c(environments={})}, [
    {'file': 'customers/acme.yaml', 'path': 'environments', 'message': 'declares no environment'}])
write('environments/read-replica-outside-prod', {'customers/acme.yaml': c(environments={'preprod': {'readReplica': rr(['198.51.100.0/24'])}})}, [
    {'file': 'customers/acme.yaml', 'path': 'environments.preprod.readReplica', 'message': 'readReplica is only allowed on the prod environment'}])
write('environments/unknown-key-typo', {'customers/acme.yaml': c(environments={'prod': {'maintenanceWindo': 'sun:02:00-sun:03:00'}})}, [
    {'file': 'customers/acme.yaml', 'path': 'environments.prod.maintenanceWindo', 'message': "unknown key 'maintenanceWindo' \\(did you mean 'maintenanceWindow'\\?\\)"}])

# --- VAL source ---
write('val-source/missing-source-environment', {'customers/acme.yaml': c(environments={'preprod': {}, 'val': {'source': 'prod', 'scrubRules': 'scrub/rules.yaml'}})}, [
    {'file': 'customers/acme.yaml', 'path': 'environments.val.source', 'message': "'prod' is not an environment of this customer"}])
write('val-source/invalid-source-kind', {'customers/acme.yaml': c(environments={'sandbox': {}, 'val': {'source': 'sandbox', 'scrubRules': 'scrub/rules.yaml'}})}, [
    {'file': 'customers/acme.yaml', 'path': 'environments.val.source', 'message': 'must be "prod" or "preprod"'}])
write('val-source/source-required', {'customers/acme.yaml': c(environments={'prod': {}, 'val': {'scrubRules': 'scrub/rules.yaml'}})}, [
    {'file': 'customers/acme.yaml', 'path': 'environments.val.source', 'message': 'is required'}])
write('val-source/from-preprod', {'customers/acme.yaml': c(environments={'preprod': {}, 'val': {'source': 'preprod', 'scrubRules': 'scrub/rules.yaml'}})}, [])

# --- VAL copy method and scrub rules ---
V = 'environments.val'
def val(**kw):
    return c(environments={'prod': {}, 'val': dict({'source': 'prod', 'scrubRules': 'scrub/rules.yaml'}, **kw)})
SNAP = {'main': 'clinspark-acme-prod-main-2026-11-20', 'test': 'clinspark-acme-prod-test-2026-11-20'}
write('val-copy/snapshot-method-valid', {'customers/acme.yaml': val(method='snapshot', snapshots=SNAP)}, [])
write('val-copy/clone-with-refresh-valid', {'customers/acme.yaml': val(method='clone', refresh='2026-11-20')}, [])
write('val-copy/snapshot-method-without-snapshots', {'customers/acme.yaml': val(method='snapshot')}, [
    {'file': 'customers/acme.yaml', 'path': V + '.snapshots', 'message': 'is required with method snapshot'}])
write('val-copy/snapshot-method-without-test', {'customers/acme.yaml': val(method='snapshot', snapshots={'main': SNAP['main']})}, [
    {'file': 'customers/acme.yaml', 'path': V + '.snapshots.test', 'message': 'is required: VAL is a pair'}])
write('val-copy/clone-with-snapshots', {'customers/acme.yaml': val(snapshots=SNAP)}, [
    {'file': 'customers/acme.yaml', 'path': V + '.snapshots', 'message': 'is only used with method snapshot'}])
write('val-copy/snapshot-in-other-account', {'customers/acme.yaml': val(method='snapshot', snapshots={'main': 'arn:aws:rds:us-east-1:999999999999:cluster-snapshot:shared-main', 'test': SNAP['test']})}, [
    {'file': 'customers/acme.yaml', 'path': V + '.snapshots.main', 'message': "restore from a snapshot in the customer's own account and region"}])
write('val-copy/bad-snapshot-identifier', {'customers/acme.yaml': val(method='snapshot', snapshots={'main': '1-bad id', 'test': SNAP['test']})}, [
    {'file': 'customers/acme.yaml', 'path': V + '.snapshots.main', 'message': 'must be a DB cluster snapshot identifier'}])
write('val-copy/unknown-method', {'customers/acme.yaml': val(method='dump')}, [
    {'file': 'customers/acme.yaml', 'path': V + '.method', 'message': 'must be "clone"'}])
write('val-copy/rules-required', {'customers/acme.yaml': c(environments={'prod': {}, 'val': {'source': 'prod'}})}, [
    {'file': 'customers/acme.yaml', 'path': V + '.scrubRules', 'message': 'is required'}])
write('val-copy/rules-file-missing', {'customers/acme.yaml': val(scrubRules='scrub/missing.rules.yaml')}, [
    {'file': 'customers/acme.yaml', 'path': V + '.scrubRules', 'message': "'scrub/missing.rules.yaml' does not exist"}])
write('val-copy/rules-outside-config', {'customers/acme.yaml': val(scrubRules='../outside.yaml')}, [
    {'file': 'customers/acme.yaml', 'path': V + '.scrubRules', 'message': 'points outside the configuration directory'}])
write('val-copy/rules-invalid', {'customers/acme.yaml': val(), 'scrub/rules.yaml': 'version: 1\ntables:\n  volunteers:\n    columns:\n      email: scramble\n      nmae: keep\n    colums: {}\n'}, [
    {'file': 'customers/acme.yaml', 'path': V + '.scrubRules', 'message': "'scrub/rules.yaml' is not a valid ruleset \\(2 problems"},
    {'file': 'scrub/rules.yaml', 'path': 'tables.volunteers.columns.email', 'message': 'scramble'},
    {'file': 'scrub/rules.yaml', 'path': 'tables.volunteers.colums', 'message': 'colum'}])

# --- CIDRs ---
def cidrs(lst, where='ingress'):
    env = {'prod': {'ingress': {'allowedCidrs': lst}} if where == 'ingress' else {'readReplica': rr(lst)}}
    return c(environments=env)
P = 'environments.prod.ingress.allowedCidrs'
write('cidr/open-to-internet', {'customers/acme.yaml': cidrs(['0.0.0.0/0'])}, [
    {'file': 'customers/acme.yaml', 'path': P + '[0]', 'message': 'opens access to the whole internet'}])
write('cidr/broader-than-16', {'customers/acme.yaml': cidrs(['198.0.0.0/15'])}, [
    {'file': 'customers/acme.yaml', 'path': P + '[0]', 'message': 'is broader than /16'}])
write('cidr/exactly-16-allowed', {'customers/acme.yaml': cidrs(['198.51.0.0/16'])}, [])
write('cidr/malformed', {'customers/acme.yaml': cidrs(['198.51.100.0', '300.1.1.0/24', '198.51.100.0/33'])}, [
    {'file': 'customers/acme.yaml', 'path': P + '[0]', 'message': 'is not an IPv4 CIDR block'},
    {'file': 'customers/acme.yaml', 'path': P + '[1]', 'message': 'has an invalid octet'},
    {'file': 'customers/acme.yaml', 'path': P + '[2]', 'message': 'an IPv4 prefix is /0 to /32'}])
write('cidr/host-bits-set', {'customers/acme.yaml': cidrs(['198.51.100.7/24'])}, [
    {'file': 'customers/acme.yaml', 'path': P + '[0]', 'message': 'has host bits set; the block starting there is "198.51.100.0/24"'}])
write('cidr/duplicate', {'customers/acme.yaml': cidrs(['198.51.100.0/24', '203.0.113.0/24', '198.51.100.0/24'], where='replica')}, [
    {'file': 'customers/acme.yaml', 'path': 'environments.prod.readReplica.allowedCidrs[2]', 'message': 'duplicates entry \\[0\\]'}])
write('cidr/overlap', {'customers/acme.yaml': cidrs(['198.51.100.0/24', '198.51.100.128/25'])}, [
    {'file': 'customers/acme.yaml', 'path': P + '[1]', 'message': 'overlaps entry \\[0\\]'}])
write('cidr/ipv6', {'customers/acme.yaml': cidrs(['2001:db8::/48'])}, [
    {'file': 'customers/acme.yaml', 'path': P + '[0]', 'message': 'is IPv6; only IPv4'}])
write('cidr/empty-list', {'customers/acme.yaml': cidrs([])}, [
    {'file': 'customers/acme.yaml', 'path': P, 'message': 'list at least one CIDR block'}])

# --- release ---
x = customer(); x['release'] = {'version': '2025.4', 'build': 2231}
write('release/version-two-parts', {'customers/acme.yaml': x}, [
    {'file': 'customers/acme.yaml', 'path': 'release.version', 'message': 'must be "MAJOR.MINOR.PATCH"'}])
write('release/version-unquoted-number', {'customers/acme.yaml': yaml.dump(quote_strings(customer()), sort_keys=False).replace('version: "2025.4.0"', 'version: 2025.4')}, [
    {'file': 'customers/acme.yaml', 'path': 'release.version', 'message': 'must be a quoted version string'}])
x = customer(); x['release'] = {'version': '2025.4.0', 'build': '0012'}
write('release/build-leading-zero', {'customers/acme.yaml': x}, [
    {'file': 'customers/acme.yaml', 'path': 'release.build', 'message': 'must be a positive whole build number'}])
x = customer(); x['environments'] = {'prod': {'release': {'version': '2025.4.0-rc1', 'build': 1}}}
write('release/override-malformed', {'customers/acme.yaml': x}, [
    {'file': 'customers/acme.yaml', 'path': 'environments.prod.release.version', 'message': 'must be "MAJOR.MINOR.PATCH"'}])

# --- windows ---
E = 'environments.prod'
write('windows/maintenance-malformed', {'customers/acme.yaml': c(environments={'prod': {'maintenanceWindow': 'sunday 02:00-03:00'}})}, [
    {'file': 'customers/acme.yaml', 'path': E + '.maintenanceWindow', 'message': 'is not a maintenance window "ddd:hh:mm-ddd:hh:mm"'}])
write('windows/maintenance-too-short', {'customers/acme.yaml': c(environments={'prod': {'maintenanceWindow': 'sun:02:00-sun:02:15'}})}, [
    {'file': 'customers/acme.yaml', 'path': E + '.maintenanceWindow', 'message': 'lasts 15 minutes; RDS needs at least 30'}])
write('windows/backup-invalid-time', {'customers/acme.yaml': c(environments={'prod': {'backupWindow': '24:00-24:30'}})}, [
    {'file': 'customers/acme.yaml', 'path': E + '.backupWindow', 'message': 'has an invalid time'}])
write('windows/overlap', {'customers/acme.yaml': c(environments={'prod': {'maintenanceWindow': 'tue:01:00-tue:02:00', 'backupWindow': '01:30-02:00'}})}, [
    {'file': 'customers/acme.yaml', 'path': E + '.backupWindow', 'message': 'overlaps maintenance window tue:01:00-tue:02:00'}])
write('windows/overlap-with-catalog-default', {'customers/acme.yaml': c(environments={'prod': {'backupWindow': '06:15-06:45'}})}, [
    {'file': 'customers/acme.yaml', 'path': E + '.backupWindow', 'message': 'overlaps maintenance window sun:06:00-sun:07:00 \\(catalog default\\)'}])
write('windows/overlap-across-midnight', {'customers/acme.yaml': c(environments={'prod': {'maintenanceWindow': 'wed:00:00-wed:01:00', 'backupWindow': '23:45-00:15'}})}, [
    {'file': 'customers/acme.yaml', 'path': E + '.backupWindow', 'message': 'overlaps maintenance window'}])

# --- misc semantic rules ---
x = customer(); x['dns']['certificateArn'] = 'arn:aws:acm:eu-west-1:210987654321:certificate/6f1c2a3b-4d5e-4f60-8a71-92b3c4d5e6f7'
write('arns/certificate-other-region', {'customers/acme.yaml': x}, [
    {'file': 'customers/acme.yaml', 'path': 'dns.certificateArn', 'message': 'is in region eu-west-1 but the environments are in us-east-1'}])
a = customer(); b = customer(slug='globex', account='345678901234', zone='acme.clinspark.cloud')
write('dns/shared-zone', {'customers/acme.yaml': a, 'customers/globex.yaml': b}, [
    {'file': 'customers/globex.yaml', 'path': 'dns.zoneName', 'message': "'acme.clinspark.cloud' is already the zone of customers/acme.yaml"}])
write('sizing/invalid-fargate-memory', {'customers/acme.yaml': c(environments={'prod': {'sizing': {'app': {'cpu': 256, 'memoryMiB': 4096}}}})}, [
    {'file': 'customers/acme.yaml', 'path': E + '.sizing.app.memoryMiB', 'message': '4096 MiB is not a valid memory size for 256 CPU units'}])
write('sizing/instance-class-on-serverless-kind', {'customers/acme.yaml': c(environments={'sandbox': {'sizing': {'database': {'instanceClass': 'db.r7g.large'}}}})}, [
    {'file': 'customers/acme.yaml', 'path': 'environments.sandbox.sizing.database.instanceClass', 'message': 'runs Aurora Serverless v2'}])
write('sizing/prod-below-task-floor', {'customers/acme.yaml': c(environments={'prod': {'sizing': {'app': {'minTasks': 1}}}})}, [
    {'file': 'customers/acme.yaml', 'path': E + '.sizing.app.minTasks', 'message': 'PROD needs at least 2 running task'}])
x = rr(['198.51.100.0/24']); x['sshPublicKeys'] = ['ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQshort'];
x['credentials'] = {'recipientArn': 'jane.doe', 'issueDate': '2026-02-30', 'collectionDays': 60}
write('read-replica/invalid-fields', {'customers/acme.yaml': c(environments={'prod': {'readReplica': x}})}, [
    {'file': 'customers/acme.yaml', 'path': E + '.readReplica.sshPublicKeys[0]', 'message': 'must be one OpenSSH public key line'},
    {'file': 'customers/acme.yaml', 'path': E + '.readReplica.credentials.recipientArn', 'message': 'must be the ARN of the IAM user or role'},
    {'file': 'customers/acme.yaml', 'path': E + '.readReplica.credentials.issueDate', 'message': 'is not a real calendar date'},
    {'file': 'customers/acme.yaml', 'path': E + '.readReplica.credentials.collectionDays', 'message': 'Too big'}])
x = rr(['198.51.100.0/24']); del x['sshPublicKeys']
write('read-replica/keys-required', {'customers/acme.yaml': c(environments={'prod': {'readReplica': x}})}, [
    {'file': 'customers/acme.yaml', 'path': E + '.readReplica.sshPublicKeys', 'message': 'is required'}])
write('read-replica/valid', {'customers/acme.yaml': c(environments={'prod': {'readReplica': rr(['198.51.100.0/24', '203.0.113.10/32'])}})}, [])
write('platform/community-missing', {'customers/acme.yaml': c(usesCommunity=True)}, [
    {'file': 'customers/acme.yaml', 'path': 'usesCommunity', 'message': 'the fleet has no Community instance'}])
pl = platform(); pl['demos'] = [{'name': 'r2025-4'}, {'name': 'r2025-4'}]
write('platform/duplicate-demo-name', {'customers/acme.yaml': customer(), 'platform.yaml': pl}, [
    {'file': 'platform.yaml', 'path': 'demos[1].name', 'message': "'r2025-4' is already used by demos\\[0\\]"}])

# --- file-level ---
write('files/yaml-syntax-error', {'customers/acme.yaml': 'slug: acme\nenvironments: {prod: {}\n'}, [
    {'file': 'customers/acme.yaml', 'path': '(file)', 'message': 'is not valid YAML'}])
write('files/duplicate-key', {'customers/acme.yaml': 'slug: acme\nslug: acme\n'}, [
    {'file': 'customers/acme.yaml', 'path': '(file)', 'message': 'is not valid YAML'}])
write('files/empty', {'customers/acme.yaml': '# nothing here\n'}, [
    {'file': 'customers/acme.yaml', 'path': '(file)', 'message': 'is empty'}])
write('files/no-customers', {'platform.yaml': platform()}, [
    {'file': 'customers/', 'path': '(file)', 'message': 'no customer files found'}])

# --- everything at once: shape and semantic problems reported together, across files ---
bad = customer(); bad['aws']['account'] = 12345; bad['dns']['extra'] = 1
bad['environments'] = {'production': {}, 'preprod': {'ingress': {'allowedCidrs': ['0.0.0.0/0']}}, 'val': {'source': 'prod', 'scrubRules': 'scrub/rules.yaml'}}
pl = platform(); pl['demos'] = [{'name': 'Demo One'}]
write('collected/many-problems-in-many-files', {'customers/acme.yaml': bad, 'platform.yaml': pl}, [
    {'file': 'customers/acme.yaml', 'path': 'aws.account', 'message': 'must be a quoted 12-digit string'},
    {'file': 'customers/acme.yaml', 'path': 'dns.extra', 'message': "unknown key 'extra'"},
    {'file': 'customers/acme.yaml', 'path': 'environments.production', 'message': 'is not an environment kind'},
    {'file': 'customers/acme.yaml', 'path': 'environments.preprod.ingress.allowedCidrs[0]', 'message': 'whole internet'},
    {'file': 'customers/acme.yaml', 'path': 'environments.val.source', 'message': "'prod' is not an environment of this customer"},
    {'file': 'platform.yaml', 'path': 'demos[0].name', 'message': 'must be DNS-safe'}])
print('ok')
