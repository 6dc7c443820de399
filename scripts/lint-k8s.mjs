// Offline checks of deploy/kubernetes, deploy/grafana and the PromQL in them. Run by
// scripts/lint-k8s.sh, which installs the pinned packages this imports into a cache directory and
// runs a copy of this file from there (so the imports resolve in that directory, not in the repo).
//
//   node lint-k8s.mjs --repo DIR --out DIR [--rendered FILE] [--also FILE]...
//
// --rendered  the output of `kubectl kustomize deploy/kubernetes` (checked as the cluster gets it)
// --also      YAML files checked on their own (those kustomization.yaml does not list, e.g. the
//             example Secret; every manifest when kustomize could not run)
// --out       where to write the generated files promtool checks afterwards:
//               promql-syntax.rules.yml  every PromQL expression of the dashboard and the ScaledObject
//               keda-query.test.yml      a promtool unit test of the ScaledObject's query
//
// Per resource:
//  1. schema: the Kubernetes OpenAPI schema (kubernetes-models, compiled JSON-schema validators;
//     KEDA's CRD schema from @kubernetes-models/keda). A kind with no schema is an error.
//  2. strict: no field the API does not know (the field lists of @kubernetes/client-node's generated
//     models; for the ScaledObject deploy/kubernetes/schemas/*.schema.json). A typo such as
//     `livenesProbe` passes 1 and fails here, as `kubectl apply --validate=strict` would.
//  3. project rules: probes, resources, securityContext, no namespace, no Secret in the base,
//     references between the resources (selectors, ports, ConfigMap/Secret names and keys,
//     scale target), worker grace period > WORKER_SHUTDOWN_TIMEOUT_MS.
import { readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { join, relative, basename } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import Ajv from 'ajv';
import * as k8sTypes from '@kubernetes/client-node/dist/gen/models/ObjectSerializer.js';

const args = { also: [] };
for (let i = 2; i < process.argv.length; i += 2) {
  const key = process.argv[i].replace(/^--/, '');
  if (key === 'also') args.also.push(process.argv[i + 1]);
  else args[key] = process.argv[i + 1];
}
const repo = args.repo;
const rel = (file) => relative(repo, file);

let problems = 0;
const said = new Set();
const fail = (where, message) => {
  const line = `  FAIL ${where}: ${message}`;
  if (said.has(line)) return;
  said.add(line);
  problems++;
  console.log(line);
};

// ---------------------------------------------------------------- load the documents
/** @returns {{ obj: any, where: string, file: string }[]} */
function loadYaml(file, label) {
  const text = readFileSync(file, 'utf8');
  const out = [];
  parseAllDocuments(text, { uniqueKeys: true, prettyErrors: true, strict: true }).forEach((doc, i) => {
    const where = `${label}#${i + 1}`;
    for (const e of [...doc.errors, ...doc.warnings]) fail(where, `YAML: ${e.message.split('\n')[0]}`);
    if (doc.errors.length) return;
    const obj = doc.toJS();
    if (obj === null || obj === undefined) return; // empty document
    out.push({ obj, where, file });
  });
  return out;
}

const docs = [];
if (args.rendered) docs.push(...loadYaml(args.rendered, 'kustomize build deploy/kubernetes').map((d) => ({ ...d, inBase: true })));
for (const file of args.also) docs.push(...loadYaml(file, rel(file)).map((d) => ({ ...d, inBase: !args.rendered && basename(file) !== 'secret.example.yaml' })));

// name each rendered resource after the file that holds it, for readable messages
const sourceOf = new Map();
for (const file of readdirSync(join(repo, 'deploy/kubernetes')).filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml')) {
  const text = readFileSync(join(repo, 'deploy/kubernetes', file), 'utf8');
  for (const doc of parseAllDocuments(text)) {
    const o = doc.errors.length ? null : doc.toJS();
    if (o?.kind && o?.metadata?.name) sourceOf.set(`${o.kind}/${o.metadata.name}`, `deploy/kubernetes/${file}`);
  }
}
for (const d of docs) {
  const id = `${d.obj?.kind ?? '?'}/${d.obj?.metadata?.name ?? '?'}`;
  d.id = id;
  d.where = `${id} (${sourceOf.get(id) ?? d.where})`;
}

// ---------------------------------------------------------------- 1. schema
async function modelFor(apiVersion, kind) {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const candidates = group === 'keda.sh'
    ? [`@kubernetes-models/keda/keda.sh/${version}/${kind}`]
    : [`kubernetes-models/${group ? `${group}/` : ''}${version}/${kind}`];
  for (const specifier of candidates) {
    try {
      const mod = await import(specifier);
      if (mod[kind]) return mod[kind];
    } catch {
      /* no such model */
    }
  }
  return undefined;
}

// ---------------------------------------------------------------- 2. strict fields
const ajv = new Ajv({ allErrors: true, strict: true });
const crdSchemas = {
  'keda.sh/v1alpha1/ScaledObject': ajv.compile(
    JSON.parse(readFileSync(join(repo, 'deploy/kubernetes/schemas/keda-scaledobject-prometheus.schema.json'), 'utf8')),
  ),
};

function typeMapName(apiVersion, kind) {
  const version = apiVersion.split('/').pop();
  return version.charAt(0).toUpperCase() + version.slice(1) + kind;
}

/** Unknown fields of `value`, a `type` of client-node's generated models, as JSON paths. */
function unknownFields(value, type, path, out) {
  if (value === null || value === undefined) return out;
  let m;
  if ((m = /^Array<(.+)>$/.exec(type))) {
    if (Array.isArray(value)) value.forEach((v, i) => unknownFields(v, m[1], `${path}[${i}]`, out));
    return out;
  }
  if ((m = /^\{ \[key: string\]: (.+); \}$/.exec(type))) {
    if (typeof value === 'object') for (const [k, v] of Object.entries(value)) unknownFields(v, m[1], `${path}.${k}`, out);
    return out;
  }
  const model = k8sTypes[type];
  if (!model?.attributeTypeMap || typeof value !== 'object' || Array.isArray(value)) return out; // primitive, any, IntOrString
  const known = new Map(model.attributeTypeMap.map((a) => [a.baseName, a.type]));
  for (const [k, v] of Object.entries(value)) {
    if (!known.has(k)) out.push(`${path}.${k}`);
    else unknownFields(v, known.get(k), `${path}.${k}`, out);
  }
  return out;
}

for (const d of docs) {
  const { obj, where } = d;
  if (typeof obj !== 'object' || Array.isArray(obj)) { fail(where, 'not a mapping'); d.bad = true; continue; }
  if (typeof obj.apiVersion !== 'string' || typeof obj.kind !== 'string') { fail(where, 'apiVersion and kind are required'); d.bad = true; continue; }
  const Model = await modelFor(obj.apiVersion, obj.kind);
  if (!Model) { fail(where, `no schema for ${obj.apiVersion} ${obj.kind}`); d.bad = true; continue; }
  try {
    new Model(obj).validate();
  } catch (e) {
    for (const line of String(e.message).split(/, (?=data)/)) fail(where, `schema: ${line.replace(/^data/, '')}`);
    d.invalid = true;
  }
  const crd = crdSchemas[`${obj.apiVersion}/${obj.kind}`];
  if (crd) {
    if (!crd(obj)) {
      // `if`/`then` errors only repeat the errors of the `then` branch
      for (const e of crd.errors.filter((x) => x.keyword !== 'if')) fail(where, `strict schema: ${e.instancePath || '/'} ${e.message}${e.params?.additionalProperty ? ` '${e.params.additionalProperty}'` : ''}`);
      d.invalid = true;
    }
  } else if (k8sTypes[typeMapName(obj.apiVersion, obj.kind)]) {
    const unknown = unknownFields(obj, typeMapName(obj.apiVersion, obj.kind), '', []);
    // the schema passed, so the shape is known: the project rules still run on this resource
    for (const p of unknown) fail(where, `unknown field ${p.slice(1)}`);
  } else {
    fail(where, `no field list for ${obj.apiVersion} ${obj.kind} (strict check)`);
  }
}

// ---------------------------------------------------------------- 3. project rules
// References are looked up among every resource, even one that failed its schema (so one mistake
// gives one message, not a cascade); the rules about a resource's own content run only on the
// resources that passed 1 and 2, whose shape is known.
const base = docs.filter((d) => d.inBase && !d.bad);
const all = docs.filter((d) => !d.bad);
const ofKind = (list, kind) => list.filter((d) => d.obj.kind === kind);
const matches = (selector, labels) => Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);
const podLabels = (d) => d.obj.spec?.template?.metadata?.labels;

const configMaps = new Map(ofKind(base, 'ConfigMap').map((d) => [d.obj.metadata?.name, d.obj.data ?? {}]));
const secrets = new Map(ofKind(all, 'Secret').map((d) => [d.obj.metadata?.name, { ...d.obj.data, ...d.obj.stringData }]));
const allDeployments = ofKind(base, 'Deployment');
const deployments = allDeployments.filter((d) => !d.invalid);

for (const d of ofKind(base, 'ConfigMap')) {
  for (const key of ['WEBHOOK_SECRET', 'AI_API_KEY', 'BRAZE_API_KEY', 'DASHBOARD_PASSWORD', 'REDIS_URL']) {
    if (key in (d.obj.data ?? {})) fail(d.where, `${key} is a secret (REDIS_URL may hold a password): it belongs in the Secret bridge-secrets`);
  }
}
for (const d of base) {
  if (d.obj.metadata?.namespace) fail(d.where, 'metadata.namespace is set: the base stays namespace-agnostic');
  if (d.obj.kind === 'Secret') fail(d.where, 'a Secret in the base would overwrite the operator\'s real one: keep it in secret.example.yaml, out of kustomization.yaml');
}

const needed = { ingest: ['/healthz', '/readyz'], worker: ['/healthz', '/readyz'], dashboard: ['/healthz', '/healthz'] };
for (const name of Object.keys(needed)) {
  if (!allDeployments.some((d) => d.obj.metadata?.name === name)) fail('kustomize build', `no Deployment ${name}`);
}

for (const d of deployments) {
  const { where } = d;
  const name = d.obj.metadata.name;
  const pod = d.obj.spec.template.spec;
  if (!matches(d.obj.spec.selector.matchLabels, d.obj.spec.template.metadata?.labels)) fail(where, 'spec.selector does not match the pod template labels');
  const psc = pod.securityContext ?? {};
  if (psc.runAsNonRoot !== true) fail(where, 'pod securityContext.runAsNonRoot must be true');
  if (psc.runAsUser !== 1000) fail(where, 'pod securityContext.runAsUser must be 1000 (the node user of the images)');
  if (pod.hostNetwork || pod.hostPID || pod.hostIPC) fail(where, 'the pod must not share the host\'s network, PID or IPC namespace');
  for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
    const at = `${where} container ${c.name}`;
    const sc = c.securityContext ?? {};
    const seccomp = sc.seccompProfile?.type ?? psc.seccompProfile?.type;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') fail(at, 'seccompProfile.type must be RuntimeDefault (pod or container securityContext)');
    if (sc.privileged === true) fail(at, 'securityContext.privileged must not be true');
    if (sc.capabilities?.add?.length) fail(at, `securityContext.capabilities.add gives back ${sc.capabilities.add.join(', ')}`);
    if (sc.readOnlyRootFilesystem !== true) fail(at, 'securityContext.readOnlyRootFilesystem must be true');
    if (sc.allowPrivilegeEscalation !== false) fail(at, 'securityContext.allowPrivilegeEscalation must be false');
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) fail(at, 'securityContext.capabilities.drop must include ALL');
    if (sc.runAsNonRoot === false || (sc.runAsUser !== undefined && sc.runAsUser !== 1000)) fail(at, 'securityContext must not run as another user than 1000');
    for (const kind of ['requests', 'limits']) {
      for (const r of ['cpu', 'memory']) if (c.resources?.[kind]?.[r] === undefined) fail(at, `resources.${kind}.${r} is missing`);
    }
    const portNames = new Set((c.ports ?? []).map((p) => p.name));
    const portNumbers = new Set((c.ports ?? []).map((p) => p.containerPort));
    const probes = [['livenessProbe', c.livenessProbe], ['readinessProbe', c.readinessProbe]];
    probes.forEach(([probeName, probe], i) => {
      if (!probe?.httpGet) { fail(at, `${probeName} (httpGet) is missing`); return; }
      const want = needed[name]?.[i];
      if (want && probe.httpGet.path !== want) fail(at, `${probeName} must GET ${want}, not ${probe.httpGet.path}`);
      const port = probe.httpGet.port;
      if (typeof port === 'string' ? !portNames.has(port) : !portNumbers.has(port)) fail(at, `${probeName} port ${port} is not a containerPort of this container`);
    });
    for (const e of c.envFrom ?? []) {
      if (e.configMapRef && !configMaps.has(e.configMapRef.name)) fail(at, `envFrom ConfigMap ${e.configMapRef.name} is not in the base`);
    }
    for (const e of c.env ?? []) {
      const ref = e.valueFrom?.secretKeyRef;
      if (ref && !(secrets.get(ref.name) && ref.key in secrets.get(ref.name))) fail(at, `env ${e.name}: Secret ${ref.name} key ${ref.key} is not in secret.example.yaml`);
      const cref = e.valueFrom?.configMapKeyRef;
      if (cref && !(cref.key in (configMaps.get(cref.name) ?? {}))) fail(at, `env ${e.name}: ConfigMap ${cref.name} key ${cref.key} is missing`);
      if (e.name === 'REDIS_URL' && !ref) fail(at, 'REDIS_URL may hold a password: take it from the Secret');
    }
  }
  if (name === 'worker') {
    const drainMs = Number(Object.assign({}, ...[...configMaps.values()]).WORKER_SHUTDOWN_TIMEOUT_MS ?? 45000);
    const grace = pod.terminationGracePeriodSeconds ?? 30;
    if (grace * 1000 <= drainMs) fail(where, `terminationGracePeriodSeconds ${grace} must exceed WORKER_SHUTDOWN_TIMEOUT_MS ${drainMs} ms`);
  }
}

for (const d of ofKind(base, 'Service').filter((x) => !x.invalid)) {
  const targets = allDeployments.filter((dep) => matches(d.obj.spec.selector, podLabels(dep)));
  if (targets.length !== 1) { fail(d.where, `selector matches ${targets.length} Deployments, not 1`); continue; }
  const ports = (targets[0].obj.spec?.template?.spec?.containers ?? []).flatMap((c) => c?.ports ?? []);
  for (const p of d.obj.spec.ports) {
    const t = p.targetPort ?? p.port;
    if (!ports.some((cp) => (typeof t === 'string' ? cp.name === t : cp.containerPort === t))) fail(d.where, `targetPort ${t} is not a containerPort of ${targets[0].id}`);
  }
}
for (const d of ofKind(base, 'PodDisruptionBudget').filter((x) => !x.invalid)) {
  const targets = allDeployments.filter((dep) => matches(d.obj.spec.selector?.matchLabels, podLabels(dep)));
  if (targets.length !== 1) fail(d.where, `selector matches ${targets.length} Deployments, not 1`);
}
for (const name of ['ingest', 'worker']) {
  const dep = allDeployments.find((x) => x.obj.metadata?.name === name);
  if (dep && !ofKind(base, 'PodDisruptionBudget').some((d) => matches(d.obj.spec?.selector?.matchLabels, podLabels(dep)))) {
    fail('kustomize build', `no PodDisruptionBudget covers Deployment ${name}`);
  }
}

// ScaledObjects: the target exists; collect the PromQL for promtool
const promql = [];
let kedaQuery;
for (const d of ofKind(base, 'ScaledObject').filter((x) => !x.invalid)) {
  const ref = d.obj.spec.scaleTargetRef;
  if ((ref.kind ?? 'Deployment') !== 'Deployment' || !allDeployments.some((x) => x.obj.metadata?.name === ref.name)) fail(d.where, `scaleTargetRef ${ref.kind ?? 'Deployment'}/${ref.name} is not a Deployment of the base`);
  const min = d.obj.spec.minReplicaCount ?? 0;
  const max = d.obj.spec.maxReplicaCount ?? 100;
  if (min > max) fail(d.where, `minReplicaCount ${min} > maxReplicaCount ${max}`);
  for (const t of d.obj.spec.triggers) {
    if (t.type === 'prometheus' && t.metadata?.query) {
      promql.push({ where: `${d.id} trigger`, record: `lint:scaledobject_${d.obj.metadata.name}`.replace(/[^\w:]/g, '_'), expr: t.metadata.query });
      kedaQuery = t.metadata.query;
    }
  }
}

// ---------------------------------------------------------------- Grafana dashboard
const dashFile = join(repo, 'deploy/grafana/bridge-dashboard.json');
let dashboard;
try {
  dashboard = JSON.parse(readFileSync(dashFile, 'utf8'));
} catch (e) {
  fail(rel(dashFile), `not valid JSON: ${e.message}`);
}
if (dashboard) {
  const panels = (dashboard.panels ?? []).flatMap((p) => [p, ...(p.panels ?? [])]);
  if (!(dashboard.__inputs ?? []).some((i) => i.name === 'DS_PROMETHEUS' && i.pluginId === 'prometheus')) fail(rel(dashFile), '__inputs has no DS_PROMETHEUS prometheus input');
  if (!dashboard.title || !dashboard.uid) fail(rel(dashFile), 'title and uid are required');
  const ids = new Set();
  for (const p of panels) {
    const at = `${rel(dashFile)} panel ${p.id} "${p.title}"`;
    if (ids.has(p.id)) fail(at, 'duplicate panel id');
    ids.add(p.id);
    if (p.type === 'row') continue;
    if (p.datasource?.uid !== '${DS_PROMETHEUS}') fail(at, 'datasource must be ${DS_PROMETHEUS}');
    if (!p.gridPos) fail(at, 'gridPos is missing');
    if (!(p.targets ?? []).length) fail(at, 'no targets');
    for (const t of p.targets ?? []) {
      if (!t.expr) { fail(at, `target ${t.refId} has no expr`); continue; }
      promql.push({ where: at, record: `lint:dashboard_panel_${p.id}_${t.refId}`.replace(/[^\w:]/g, '_'), expr: t.expr });
    }
  }
  const targets = panels.flatMap((p) => p.targets ?? []).length;
  console.log(`  ${rel(dashFile)}: ${panels.filter((p) => p.type !== 'row').length} panels, ${targets} queries (PromQL checked by promtool below)`);
}

// ---------------------------------------------------------------- files for promtool
// Grafana's interval variables are not PromQL: substitute a duration before promtool parses them.
const toPromql = (expr) => expr.replace(/\$__rate_interval|\$__interval|\$__range/g, '5m');
writeFileSync(
  join(args.out, 'promql-syntax.rules.yml'),
  stringify({
    groups: [{ name: 'promql-syntax', rules: promql.map((p) => ({ record: p.record, expr: toPromql(p.expr), labels: { lint_where: p.where.replace(/[^\w ./#-]/g, '') } })) }],
  }),
);
if (kedaQuery) {
  // two worker pods report the same whole-queue gauge: the query must count the backlog once
  const series = [];
  for (const pod of ['worker-a', 'worker-b']) {
    for (const [state, n] of [['waiting', 30], ['prioritized', 10], ['active', 20], ['delayed', 5]]) {
      series.push({ series: `bridge_queue_jobs{queue="reply-generate",state="${state}",service="worker",pod="${pod}"}`, values: `${n}x5` });
    }
    series.push({ series: `bridge_queue_jobs{queue="reply-send",state="waiting",service="worker",pod="${pod}"}`, values: '100x5' });
  }
  writeFileSync(
    join(args.out, 'keda-query.test.yml'),
    stringify({
      evaluation_interval: '1m',
      tests: [{ interval: '1m', input_series: series, promql_expr_test: [{ expr: kedaQuery, eval_time: '2m', exp_samples: [{ labels: '{}', value: 40 }] }] }],
    }),
  );
}

const checked = docs.length;
if (problems) {
  console.log(`  ${problems} problem(s) in ${checked} resource(s)`);
  process.exit(1);
}
console.log(`  ok: ${checked} resources (${docs.map((d) => d.id).join(', ')})`);
