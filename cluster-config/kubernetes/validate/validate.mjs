// Validates every Kubernetes manifest (*.yaml, *.yml) in a directory against the Kubernetes schemas, with the model
// classes of the kubernetes-models package (each object: new Kind(object).validate()).
//   node validate.mjs DIR
// Prints one line per object ("ok FILE: Kind/name") and exits 0 when all are valid; otherwise prints
// "error FILE: ..." for each problem (file, document, kind and the schema's message) and exits 1. Exit 2: bad usage.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";

const dir = process.argv[2];
if (!dir || !statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
  console.error("usage: node validate.mjs DIR (a directory of Kubernetes manifests)");
  process.exit(2);
}

// apiVersion "apps/v1" -> module "kubernetes-models/apps/v1/Kind"; core "v1" -> "kubernetes-models/v1/Kind".
async function modelClass(apiVersion, kind) {
  if (typeof apiVersion !== "string" || typeof kind !== "string" || !/^[A-Za-z0-9]+$/.test(kind)
      || !/^([a-z0-9.-]+\/)?v[0-9a-z]+$/.test(apiVersion)) return undefined;
  try {
    const module = await import(`kubernetes-models/${apiVersion}/${kind}`);
    return module[kind];
  } catch {
    return undefined;
  }
}

function describe(error) {
  const details = Array.isArray(error?.errors)
    ? error.errors.map(e => `${e.instancePath || "/"} ${e.message}${e.params ? " " + JSON.stringify(e.params) : ""}`).join("; ")
    : "";
  return details || String(error?.message ?? error);
}

const files = readdirSync(dir).filter(f => /\.ya?ml$/.test(f)).sort();
let errors = 0;
let objects = 0;
if (files.length === 0) {
  console.error(`error ${dir}: no *.yaml or *.yml file`);
  errors++;
}
for (const file of files) {
  const path = join(dir, file);
  const documents = parseAllDocuments(readFileSync(path, "utf8"));
  let index = 0;
  for (const doc of documents) {
    index++;
    if (doc.errors.length > 0) {
      console.error(`error ${file}: document ${index}: YAML: ${doc.errors.map(e => e.message).join("; ")}`);
      errors++;
      continue;
    }
    const obj = doc.toJS();
    if (obj === null || obj === undefined) continue; // an empty document (a trailing ---)
    const name = obj?.metadata?.name;
    const label = `${obj?.kind ?? "?"}/${name ?? "?"}`;
    if (typeof obj !== "object" || Array.isArray(obj)) {
      console.error(`error ${file}: document ${index}: not a Kubernetes object`);
      errors++;
      continue;
    }
    const Model = await modelClass(obj.apiVersion, obj.kind);
    if (!Model) {
      console.error(`error ${file}: document ${index} (${label}): unknown apiVersion/kind ${obj.apiVersion}/${obj.kind}`);
      errors++;
      continue;
    }
    if (typeof name !== "string" || name.length === 0) {
      console.error(`error ${file}: document ${index} (${label}): metadata.name is missing`);
      errors++;
      continue;
    }
    try {
      new Model(obj).validate();
      objects++;
      console.log(`ok ${file}: ${obj.apiVersion} ${label}`);
    } catch (e) {
      console.error(`error ${file}: document ${index} (${label}): ${describe(e)}`);
      errors++;
    }
  }
}
if (errors > 0) {
  console.error(`${errors} problem(s) in ${dir}`);
  process.exit(1);
}
console.log(`${objects} object(s) in ${files.length} file(s) valid`);
