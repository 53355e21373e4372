#!/usr/bin/env python3
"""Check the Kubernetes example without a cluster.

    python3 check.py [DIR]                      # YAML validity, keys, paths, names
    python3 check.py [DIR] --materialize OUT [--value-file KEY=PATH ...]

The first form parses every *.yaml in DIR (default: this file's directory) and checks
that the manifests fit together the way shim will read them:
  - every document has apiVersion, kind and metadata.name; Secret and ConfigMap keys
    are valid;
  - Deployment selectors match their pod labels; volumeMounts name existing volumes;
    secret and configMap volumes name an existing Secret or ConfigMap and existing keys;
  - every NAME_FILE variable whose value has a `/` points at a file that a mounted
    secret volume provides (mountPath + key, or an items path);
  - SHIM_SECRETS_DIR is the mountPath of a secret volume;
  - every SHIM_RENDER template (NAME=/path) is a file that a mounted ConfigMap or Secret
    provides, and every ${NAME} in it resolves;
  - every ${NAME} in command/args, every SHIM_REQUIRE name and every *_HOST Service
    name resolves (directly, from a secret file, as a URL shim assembles, or as the
    path of a rendered file).
It exits 1 listing every problem.

--materialize lays out each container's secret and configMap volumes under OUT the way
the kubelet does (`KEY -> ..data/KEY`, `..data -> ..<timestamp>/`, mode from
defaultMode) and writes OUT/<deployment>.<container>/{env,mounts,args,options} so a test
can run the container with podman or docker (options: `--read-only` for
readOnlyRootFilesystem). Secret values come from the manifest unless given with
--value-file; ConfigMap values come from the manifest.
"""

import argparse
import os
import re
import sys
from pathlib import Path

import yaml

KEY_RE = re.compile(r"^[-._a-zA-Z0-9]+$")
REF_RE = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?\}")
DB_PASSWORD = ("DATABASE_PASSWORD", "POSTGRES_PASSWORD", "PGPASSWORD")
DB_HOST = ("DATABASE_HOST", "POSTGRES_HOST", "PGHOST")


def var_name(file_name):
    """shim's SHIM_SECRETS_DIR rule: upper-case, anything outside [A-Z0-9_] becomes _."""
    return re.sub(r"[^A-Z0-9_]", "_", file_name.upper())


def load(directory):
    docs, problems = [], []
    for path in sorted(Path(directory).glob("*.yaml")):
        try:
            for doc in yaml.safe_load_all(path.read_text()):
                if doc is None:
                    continue
                where = f"{path.name}: {doc.get('kind', '?')}/{doc.get('metadata', {}).get('name', '?')}"
                for field in ("apiVersion", "kind"):
                    if not doc.get(field):
                        problems.append(f"{where}: no {field}")
                if not doc.get("metadata", {}).get("name"):
                    problems.append(f"{where}: no metadata.name")
                docs.append((where, doc))
        except yaml.YAMLError as e:
            problems.append(f"{path.name}: invalid YAML: {e}")
    if not docs:
        problems.append(f"{directory}: no manifests")
    return docs, problems


def secrets_of(docs, problems):
    secrets = {}
    for where, doc in docs:
        if doc.get("kind") != "Secret":
            continue
        values = {}
        for k, v in (doc.get("stringData") or {}).items():
            values[k] = str(v).encode()
        for k in (doc.get("data") or {}):
            values[k] = None  # base64 data: present, value not needed for the checks
        for k in values:
            if not KEY_RE.match(k) or k.startswith(".."):
                problems.append(f"{where}: invalid key {k!r}")
        secrets[doc["metadata"]["name"]] = values
    return secrets


def configmaps_of(docs, problems):
    maps = {}
    for where, doc in docs:
        if doc.get("kind") != "ConfigMap":
            continue
        values = {k: str(v).encode() for k, v in (doc.get("data") or {}).items()}
        for k in values:
            if not KEY_RE.match(k) or k.startswith(".."):
                problems.append(f"{where}: invalid key {k!r}")
        maps[doc["metadata"]["name"]] = values
    return maps


def volume_source(volume, secrets, configmaps):
    """(kind, name, spec, keys) of a secret or configMap volume, else None."""
    if "secret" in volume:
        spec = volume["secret"]
        return "Secret", spec.get("secretName"), spec, secrets
    if "configMap" in volume:
        spec = volume["configMap"]
        return "ConfigMap", spec.get("name"), spec, configmaps
    return None


def volume_files(volume, secrets, configmaps, where, problems):
    """File name -> key, for a secret or configMap volume."""
    kind, name, spec, sources = volume_source(volume, secrets, configmaps)
    if name not in sources:
        if not spec.get("optional"):
            problems.append(f"{where}: volume {volume['name']}: no {kind} {name!r}")
        return {}
    keys = sources[name]
    if "items" in spec:
        files = {}
        for item in spec["items"]:
            if item.get("key") not in keys:
                problems.append(f"{where}: volume {volume['name']}: {kind} {name} has no key {item.get('key')!r}")
            files[item.get("path")] = item.get("key")
        return files
    return {k: k for k in keys}


def check_container(where, c, volumes, secrets, configmaps, services, problems):
    """Returns the variables the container's command will see, after shim."""
    env = {e["name"]: e.get("value", "") for e in c.get("env", [])}
    mounts = {}  # mountPath -> (volume, files): secret volumes
    config_mounts = {}  # the same for configMap volumes
    for m in c.get("volumeMounts", []):
        vol = volumes.get(m["name"])
        if vol is None:
            problems.append(f"{where}: volumeMount {m['name']!r} names no volume")
            continue
        if "secret" in vol:
            mounts[m["mountPath"].rstrip("/")] = (vol, volume_files(vol, secrets, configmaps, where, problems))
        elif "configMap" in vol:
            config_mounts[m["mountPath"].rstrip("/")] = (vol, volume_files(vol, secrets, configmaps, where, problems))

    resolved = set(env)
    for name, value in env.items():
        if name.endswith("_FILE") and not name.endswith("__FILE") and "/" in value:
            directory, _, file_name = value.rpartition("/")
            if directory not in mounts:
                problems.append(f"{where}: {name}={value}: no secret volume mounted at {directory}")
            elif file_name not in mounts[directory][1]:
                problems.append(f"{where}: {name}={value}: volume {mounts[directory][0]['name']} has no file {file_name!r}")
            resolved.discard(name)
            resolved.add(name[: -len("_FILE")])
    if "SHIM_SECRETS_DIR" in env:
        directory = env["SHIM_SECRETS_DIR"].rstrip("/")
        if directory not in mounts:
            problems.append(f"{where}: SHIM_SECRETS_DIR={directory}: no secret volume mounted there")
        else:
            resolved.update(var_name(f) for f in mounts[directory][1])
    if any(v in resolved for v in DB_PASSWORD) and any(v in resolved for v in DB_HOST):
        resolved.add("DATABASE_URL")
    if "REDIS_HOST" in resolved:
        resolved.add("REDIS_URL")

    # SHIM_RENDER: each template is a file of a mounted ConfigMap or Secret, filled from
    # the variables resolved so far; its NAME then holds the rendered file's path
    for item in filter(None, (i.strip() for i in env.get("SHIM_RENDER", "").split(","))):
        name, _, path = item.partition("=")
        directory, _, file_name = path.rpartition("/")
        source = config_mounts.get(directory) or mounts.get(directory)
        if not path.startswith("/"):
            problems.append(f"{where}: SHIM_RENDER item {item!r} is not NAME=/path/to/template")
            continue
        if source is None:
            problems.append(f"{where}: SHIM_RENDER {name}={path}: no configMap or secret volume mounted at {directory}")
            continue
        vol, files = source
        if file_name not in files:
            problems.append(f"{where}: SHIM_RENDER {name}={path}: volume {vol['name']} has no file {file_name!r}")
            continue
        kind, source_name, _, values = volume_source(vol, secrets, configmaps)
        text = (values.get(source_name) or {}).get(files[file_name])
        for ref, default in REF_RE.findall(text.decode() if text else ""):
            if not default and ref not in resolved:
                problems.append(f"{where}: SHIM_RENDER {name}: the template ({kind} {source_name}) uses ${{{ref}}}, which is never set")
        resolved.add(name)

    for arg in c.get("command", []) + c.get("args", []):
        for ref, default in REF_RE.findall(arg):
            if not default and ref not in resolved:
                problems.append(f"{where}: argument {arg!r}: ${{{ref}}} is never set")
    for name in filter(None, env.get("SHIM_REQUIRE", "").split(",")):
        if name.strip() not in resolved:
            problems.append(f"{where}: SHIM_REQUIRE names {name.strip()}, which nothing sets")
    for name in ("POSTGRES_HOST", "DATABASE_HOST", "PGHOST", "REDIS_HOST"):
        if name in env and env[name] not in services:
            problems.append(f"{where}: {name}={env[name]}: no Service of that name")
    return env, {**mounts, **config_mounts}


def check(docs, problems):
    secrets = secrets_of(docs, problems)
    configmaps = configmaps_of(docs, problems)
    services = {d["metadata"]["name"]: d for _, d in docs if d.get("kind") == "Service"}
    deployments = [(w, d) for w, d in docs if d.get("kind") == "Deployment"]
    if not deployments:
        problems.append("no Deployment")
    containers = []
    for where, d in deployments:
        spec = d.get("spec", {})
        pod = spec.get("template", {})
        labels = pod.get("metadata", {}).get("labels", {})
        for k, v in spec.get("selector", {}).get("matchLabels", {}).items():
            if labels.get(k) != v:
                problems.append(f"{where}: selector {k}={v} does not match the pod labels")
        volumes = {v["name"]: v for v in pod.get("spec", {}).get("volumes", [])}
        for c in pod.get("spec", {}).get("containers", []):
            env, mounts = check_container(f"{where}: container {c['name']}", c, volumes, secrets, configmaps, services, problems)
            containers.append((d, c, env, mounts))
    for name, svc in services.items():
        selector = svc.get("spec", {}).get("selector", {})
        pods = [
            (d, c)
            for d, c, _, _ in containers
            if selector
            and all(d["spec"]["template"]["metadata"].get("labels", {}).get(k) == v for k, v in selector.items())
        ]
        if not pods:
            problems.append(f"Service/{name}: selector {selector} matches no Deployment")
        ports = {p.get("containerPort") for _, c in pods for p in c.get("ports", [])}
        for p in svc.get("spec", {}).get("ports", []):
            if pods and p.get("targetPort", p.get("port")) not in ports:
                problems.append(f"Service/{name}: targetPort {p.get('targetPort')} is no containerPort")
    return secrets, configmaps, containers


def materialize(out, secrets, configmaps, containers, overrides):
    out = Path(out)
    stamp = "..2026_01_01_00_00_00.000000001"
    for d, c, env, mounts in containers:
        base = out / f"{d['metadata']['name']}.{c['name']}"
        base.mkdir(parents=True, exist_ok=True)
        mount_lines = []
        for mount_path, (vol, files) in sorted(mounts.items()):
            kind, name, spec, sources = volume_source(vol, secrets, configmaps)
            values = dict(sources.get(name, {}))
            if kind == "Secret":
                values.update(overrides)
            vdir = base / "volumes" / vol["name"]
            (vdir / stamp).mkdir(parents=True, exist_ok=True)
            for file_name, key in files.items():
                target = vdir / stamp / file_name
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(values.get(key) or b"")
                os.chmod(target, spec.get("defaultMode", 0o644))
                link = vdir / file_name
                if not link.is_symlink():
                    link.symlink_to(Path("..data") / file_name)
            if not (vdir / "..data").is_symlink():
                (vdir / "..data").symlink_to(stamp)
            mount_lines.append(f"{vdir}:{mount_path}:ro")
        (base / "env").write_text("".join(f"{k}={v}\n" for k, v in env.items()))
        (base / "mounts").write_text("".join(m + "\n" for m in mount_lines))
        (base / "args").write_text("".join(a + "\n" for a in c.get("command", []) + c.get("args", [])))
        read_only = (c.get("securityContext") or {}).get("readOnlyRootFilesystem")
        (base / "options").write_text("--read-only\n" if read_only else "")
        print(f"materialized {base}")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("dir", nargs="?", default=Path(__file__).resolve().parent)
    p.add_argument("--materialize", metavar="OUT")
    p.add_argument("--value-file", action="append", default=[], metavar="KEY=PATH")
    a = p.parse_args()

    docs, problems = load(a.dir)
    secrets, configmaps, containers = check(docs, problems)
    for problem in problems:
        print(f"check: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"check: {len(docs)} manifests, {len(containers)} containers: keys, paths and names match")
    if a.materialize:
        overrides = {}
        for kv in a.value_file:
            key, _, path = kv.partition("=")
            overrides[key] = Path(path).read_bytes()
        materialize(a.materialize, secrets, configmaps, containers, overrides)
    return 0


if __name__ == "__main__":
    sys.exit(main())
