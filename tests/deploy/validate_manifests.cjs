// Validates Kubernetes manifests against the API's own schemas (npm `kubernetes-models`, whose
// classes carry the OpenAPI schema of each kind), without a cluster. Every document of every file
// must be a kind we know, and valid; a kustomization must list every other manifest of its folder.
//   node validate_manifests.cjs <node_modules dir> <manifest>...
// Exit 0 when all are valid, 1 otherwise (one line per problem).
"use strict";
const path = require("path");
const fs = require("fs");

const modules = process.argv[2];
const files = process.argv.slice(3);
const req = (m) => require(path.join(modules, m));
const YAML = req("yaml");
const kinds = {
  "v1/ConfigMap": () => req("kubernetes-models/v1/ConfigMap").ConfigMap,
  "v1/Secret": () => req("kubernetes-models/v1/Secret").Secret,
  "v1/Service": () => req("kubernetes-models/v1/Service").Service,
  "v1/PersistentVolumeClaim": () =>
    req("kubernetes-models/v1/PersistentVolumeClaim").PersistentVolumeClaim,
  "apps/v1/Deployment": () => req("kubernetes-models/apps/v1/Deployment").Deployment,
};

let problems = 0;
const fail = (file, msg) => {
  console.log(`${file}: ${msg}`);
  problems++;
};

for (const file of files) {
  let docs;
  try {
    docs = YAML.parseAllDocuments(fs.readFileSync(file, "utf8"));
  } catch (e) {
    fail(file, `unreadable: ${e.message}`);
    continue;
  }
  for (const doc of docs) {
    if (doc.errors.length) {
      fail(file, `YAML error: ${doc.errors[0].message}`);
      continue;
    }
    const obj = doc.toJS();
    if (obj === null) continue;
    if (obj.kind === "Kustomization") {
      const dir = path.dirname(file);
      const listed = new Set(obj.resources || []);
      for (const other of fs.readdirSync(dir)) {
        if (/\.ya?ml$/.test(other) && other !== path.basename(file) && !listed.has(other))
          fail(file, `does not list ${other}`);
      }
      for (const r of listed)
        if (!fs.existsSync(path.join(dir, r))) fail(file, `lists ${r}, which does not exist`);
      continue;
    }
    const key = `${obj.apiVersion}/${obj.kind}`;
    if (!kinds[key]) {
      fail(file, `unknown kind ${key}`);
      continue;
    }
    try {
      new (kinds[key]())(obj).validate();
      console.log(`${file}: ${key} ${obj.metadata && obj.metadata.name}: valid`);
    } catch (e) {
      const details = e.errors ? e.errors.map((x) => `${x.instancePath} ${x.message}`).join("; ") : e.message;
      fail(file, `${key} ${obj.metadata && obj.metadata.name}: ${details}`);
    }
  }
}
process.exit(problems ? 1 : 0);
