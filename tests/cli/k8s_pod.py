#!/usr/bin/env python3
"""What a Kubernetes CronJob's pod would run, read from the YAML (not copied from it).

Usage: k8s_pod.py CRONJOB_OR_JOB.yaml CONTAINER [JOB_NAME [JOB_UID]]
Prints one JSON object: the container's shell script (command must be a shell's -c; the
arguments expanded as the kubelet does: $$ is $, $(NAME) an env value of the container; a
variable from the pod's job-name or controller-uid label is JOB_NAME or JOB_UID, as the Job
controller labels its pods),
its volume mounts, the volumes they name, and the pod's user, group and fsGroup.
"""
import json
import re
import sys

import yaml


def expand(text, env):
    # Kubernetes' rule: $$ -> $; $(NAME) -> the variable when defined, else left as it is.
    def one(m):
        if m.group(0) == "$$":
            return "$"
        return env.get(m.group(1), m.group(0))
    return re.sub(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)", one, text)


def main():
    doc = yaml.safe_load(open(sys.argv[1]))
    assert doc["kind"] in ("CronJob", "Job"), doc["kind"]
    job = doc["spec"]["jobTemplate"]["spec"] if doc["kind"] == "CronJob" else doc["spec"]
    pod = job["template"]["spec"]
    (c,) = [c for c in pod["containers"] if c["name"] == sys.argv[2]]
    env = {e["name"]: e["value"] for e in c.get("env", []) if "value" in e}
    labels = {
        "metadata.labels['batch.kubernetes.io/job-name']": sys.argv[3] if len(sys.argv) > 3 else doc["metadata"]["name"],
        "metadata.labels['batch.kubernetes.io/controller-uid']": sys.argv[4] if len(sys.argv) > 4 else "8d5c6e1a-0c3b-4f6e-9a51-2b7d9c4e1f00",
    }
    for e in c.get("env", []):
        field = e.get("valueFrom", {}).get("fieldRef", {}).get("fieldPath")
        if field is None:
            continue
        assert field in labels, f"a field the test does not know: {field}"
        env[e["name"]] = labels[field]
    command = c.get("command", [])
    assert command[-1:] == ["-c"], f"not a shell script: {command}"
    (script,) = c["args"]
    volumes = {}
    for v in pod.get("volumes", []):
        kind = next(k for k in ("configMap", "secret", "persistentVolumeClaim", "emptyDir") if k in v)
        volumes[v["name"]] = {"kind": kind, "defaultMode": (v[kind] or {}).get("defaultMode", 0o644)}
    sc = pod.get("securityContext", {})
    print(json.dumps({
        "shell": command[:-1],
        "script": expand(script, env),
        "env": env,
        "secret_env": [e["name"] for e in c.get("env", []) if "secretKeyRef" in e.get("valueFrom", {})],
        "mounts": [{"name": m["name"], "path": m["mountPath"], "ro": bool(m.get("readOnly"))}
                   for m in c.get("volumeMounts", [])],
        "volumes": volumes,
        "user": sc.get("runAsUser", 0), "group": sc.get("runAsGroup", 0), "fs_group": sc.get("fsGroup"),
        "image": c["image"],
        "pod_failure_policy": job.get("podFailurePolicy", {}),
        "restart_policy": pod.get("restartPolicy"),
        "completions": job.get("completions", 1),
        "indexed": job.get("completionMode") == "Indexed",
    }))


main()
